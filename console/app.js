// The Roster console: a small client of the side API, loaded as plain ES modules (README "Console").
import { ApiError, describeError, get, post, setCsrfToken } from './api.js';
import { announce, field, fill, formError, h, onSubmit, pageHeading } from './ui.js';
import { addUserPage, userDetailPage, usersPage } from './users.js';
import { auditPage, connectionsPage, organizationPage } from './settings.js';
import { session } from './state.js';

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');


function signedIn(data) {
  session.current = data;
  setCsrfToken(data.csrfToken);
  topbar.hidden = false;
  document.getElementById('org-name').textContent = data.organization.name;
  document.getElementById('me-name').textContent = data.user.userName;
}

function signedOut() {
  session.current = undefined;
  setCsrfToken('');
  topbar.hidden = true;
}

window.addEventListener('roster:signed-out', () => {
  if (!session.current) return;
  signedOut();
  location.hash = '#/sign-in';
  announce('Your session ended. Sign in again.');
});

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await post('/admin/api/sign-out');
  } catch {
    // Signed out already: nothing to do.
  }
  signedOut();
  location.hash = '#/sign-in';
  announce('You are signed out.');
});

/** #/users/abc?tab=pending → { parts: ['users', 'abc'], params } */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(q) };
}

async function route() {
  const { parts, params } = parseHash();
  if (parts[0] === 'setup' && parts[1]) return show(setupPage(parts[1]));
  if (!session.current) {
    try {
      signedIn(await get('/admin/api/session'));
    } catch (err) {
      if (!(err instanceof ApiError)) return show(h('p', { role: 'alert' }, describeError(err)));
      return show(await signInPage(err.status === 403 ? describeError(err) : ''));
    }
  }
  if (parts[0] === 'sign-in') {
    location.hash = '#/users';
    return;
  }
  const section = parts[0] || 'users';
  for (const a of document.querySelectorAll('.nav a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
    if (section === 'users' && parts[1] === 'new') return show(await addUserPage());
    if (section === 'users' && parts[1]) return show(await userDetailPage(parts[1]));
    if (section === 'users') return show(await usersPage(params));
    if (section === 'organization') return show(await organizationPage());
    if (section === 'connections') return show(await connectionsPage(session.current));
    if (section === 'audit') return show(await auditPage(params));
    return show(h('section', {}, pageHeading('Not found'), h('p', {}, 'There is no such page. '), h('a', { href: '#/users' }, 'Go to Users')));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      window.dispatchEvent(new CustomEvent('roster:signed-out'));
      return;
    }
    show(h('section', {}, pageHeading('Something went wrong'), h('p', { role: 'alert' }, describeError(err))));
  }
}

/** Puts a page in place and moves focus to its heading. */
function show(page) {
  fill(main, page);
  const heading = main.querySelector('h1');
  if (heading) heading.focus();
}

async function signInPage(notice) {
  const options = await get('/admin/api/sign-in-options').catch(() => ({ organizationRequired: false }));
  const org = new URLSearchParams(location.search).get('org') || '';
  const form = h(
    'form',
    { class: 'card narrow', 'aria-labelledby': 'page-title' },
    field('Email', 'email', { type: 'email', autocomplete: 'username', required: true, maxlength: 256 }),
    field('Password', 'password', { type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 }),
    options.organizationRequired
      ? field('Organization id', 'organization', { required: true, value: org, maxlength: 100 }, { hint: 'This Roster serves several organizations: your operator gave you the id (or a console link with it).' })
      : null,
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')),
  );
  const page = h('section', { class: 'center' }, pageHeading('Sign in to the Roster console'), notice ? h('p', { role: 'alert', class: 'form-error' }, notice) : null, form);
  onSubmit(form, async (values) => {
    try {
      signedIn(await post('/admin/api/session', values));
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'password_change_required') {
        show(passwordChangePage(values));
        return;
      }
      throw err;
    }
    announce('Signed in.');
    location.hash = '#/users';
    if (parseHash().parts[0] === 'users') route();
  });
  return page;
}

/** A temporary password must be replaced before the console opens. */
function passwordChangePage(signin) {
  const form = h(
    'form',
    { class: 'card narrow' },
    h('p', {}, 'Your password is temporary. Choose your own password to continue.'),
    field('New password', 'newPassword', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 1024 }, { hint: 'At least 8 characters.' }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Set password and sign in')),
  );
  onSubmit(form, async (values) => {
    const body = { email: signin.email, currentPassword: signin.password, newPassword: values.newPassword };
    if (signin.organization) body.organization = signin.organization;
    signedIn(await post('/admin/api/session/password-change', body));
    location.hash = '#/users';
    route();
  });
  return h('section', { class: 'center' }, pageHeading('Choose a new password'), form);
}

function setupPage(token) {
  const form = h(
    'form',
    { class: 'card narrow' },
    h('p', {}, 'This one-time link creates the first administrator of this Roster. Choose the email and password you will sign in with.'),
    field('Your name', 'name', { autocomplete: 'name', maxlength: 200 }),
    field('Email', 'email', { type: 'email', autocomplete: 'username', required: true, maxlength: 256 }),
    field('Password', 'password', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 1024 }, { hint: 'At least 8 characters.' }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create administrator')),
  );
  onSubmit(
    form,
    async (values) => {
      const body = { token, email: values.email, password: values.password };
      if (values.name.trim()) body.name = values.name.trim();
      signedIn(await post('/admin/api/setup', body));
      // The link is spent: keep it out of the history.
      history.replaceState(null, '', '/admin/#/users');
      announce('Administrator created. You are signed in.');
      route();
    },
    { aliases: { userName: 'email', emails: 'email' } },
  );
  return h('section', { class: 'center' }, pageHeading('Set up Roster'), form);
}

window.addEventListener('hashchange', route);
route();
