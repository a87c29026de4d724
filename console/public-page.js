// The pages behind the links in invitation and password reset messages: the token from the link
// and a new password, posted to the public side-API route the page names.
import { call, describeError, sentence } from './api.js';
import { field, formError, h, onSubmit } from './ui.js';

const root = document.getElementById('main');
const { endpoint, button, done } = root.dataset;
const token = new URLSearchParams(location.search).get('token') || '';
// The token is the credential: keep it out of the address bar (and of any later Referer).
history.replaceState(null, '', location.pathname);

const result = h('div', { role: 'status' });
const form = h(
  'form',
  { class: 'card narrow' },
  field('New password', 'password', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 1024 }, { hint: 'At least 8 characters.' }),
  field('Repeat the password', 'repeat', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 1024 }),
  formError(),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, button)),
);
if (!token) {
  root.append(h('p', { class: 'form-error', role: 'alert' }, 'This link has no token. Open the link from your message again.'));
} else {
  root.append(form, result);
}
onSubmit(form, async (values) => {
  if (values.password !== values.repeat) throw Object.assign(new Error(), { field: 'repeat', fieldMessage: 'the two passwords differ' });
  try {
    await call('POST', endpoint, { body: { token, password: values.password } });
  } catch (err) {
    if (err.status === 410 || err.status === 404) throw Object.assign(new Error(), { field: 'password', fieldMessage: `${describeError(err)} Ask your administrator for a new link` });
    throw err;
  }
  form.remove();
  result.append(h('p', { class: 'success' }, sentence(done)), h('p', {}, 'You can close this page and sign in.'));
  result.querySelector('p').setAttribute('tabindex', '-1');
  result.querySelector('p').focus();
});
