// Users: the list with its tabs, KPIs, search, role filter, sort and pages; adding users (one
// invitation, a file of invitations, or directly with a temporary password); one user's page.
import { call, del, get, importTypeOf, pageLabel, patch, percent, post, query, when } from './api.js';
import { actionButton, announce, field, fill, formError, h, onSubmit, pageError, pageHeading, reportError } from './ui.js';
import { isMe } from './state.js';

const PAGE_SIZE = 20;
const TABS = [
  { key: 'active', label: 'Active users' },
  { key: 'pending', label: 'Pending invitations' },
  { key: 'deleted', label: 'Recently deleted' },
];
const SORTS = [
  { value: 'created', label: 'Date added' },
  { value: 'name', label: 'Name' },
  { value: 'email', label: 'Email' },
  { value: 'lastModified', label: 'Last changed' },
];
const STATUS_LABEL = { active: 'Active', suspended: 'Suspended', invited: 'Invited', deleted: 'Deleted' };

/** Re-runs the router: the page is drawn again from the server's state. */
const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

function usersHash(state) {
  return `#/users${query({
    tab: state.tab !== 'active' ? state.tab : undefined,
    search: state.search,
    role: state.role,
    sortBy: state.sortBy !== 'created' ? state.sortBy : undefined,
    sortOrder: state.sortOrder !== 'ascending' ? state.sortOrder : undefined,
    offset: state.offset || undefined,
  })}`;
}

function roleOptions(org, selected, emptyLabel) {
  return [{ value: '', label: emptyLabel }, ...org.roles.map((r) => ({ value: r.key, label: r.name, selected: r.key === selected }))];
}

function companyField(org, value = '') {
  if (org.companies.length === 0) return field('Company', 'company', { maxlength: 200, value });
  return field('Company', 'company', {}, {
    control: 'select',
    options: [{ value: '', label: 'None' }, ...org.companies.map((c) => ({ value: c, label: c, selected: c === value }))],
  });
}

function kpiCards(k) {
  const card = (label, value, note) => h('li', { class: 'kpi' }, h('span', { class: 'kpi-label' }, label), h('span', { class: 'kpi-value' }, String(value)), h('span', { class: 'kpi-note' }, note));
  return h(
    'ul',
    { class: 'kpis', 'aria-label': 'Onboarding' },
    card('Invited users', k.invited, 'invitations sent'),
    card('Completed', k.completed, 'accepted and signed up'),
    card('Pending', k.pending, 'waiting for the invitee'),
    card('Completion rate', percent(k.completionRate), 'completed of invited'),
  );
}

function statusBadge(status) {
  return h('span', { class: `badge badge-${status}` }, STATUS_LABEL[status] || status);
}

function rowActions(user, tab) {
  const name = user.name || user.email || user.userName;
  const label = (verb) => ({ 'aria-label': `${verb} ${name}` });
  const done = (message) => {
    announce(message);
    reload();
  };
  if (tab === 'active' && isMe(user.id)) return h('span', { class: 'note' }, 'you');
  if (tab === 'active') {
    return [
      user.status === 'suspended'
        ? actionButton('Activate', async () => done(`${name} is active again.`, await post(`/api/v1/users/${user.id}/activate`)), label('Activate'))
        : actionButton('Suspend', async () => done(`${name} is suspended.`, await post(`/api/v1/users/${user.id}/suspend`)), label('Suspend')),
      actionButton('Delete', async () => {
        if (!confirm(`Delete ${name}? They move to Recently deleted and can be restored until retention ends.`)) return;
        await del(`/api/v1/users/${user.id}`);
        done(`${name} was moved to Recently deleted.`);
      }, { ...label('Delete'), class: 'danger' }),
    ];
  }
  if (tab === 'pending') {
    return [
      actionButton('Resend', async () => done(`A new invitation was sent to ${name}.`, await post(`/api/v1/invitations/${user.id}/resend`)), label('Resend invitation to')),
      actionButton('Cancel invitation', async () => {
        if (!confirm(`Cancel the invitation of ${name}? Its link stops working.`)) return;
        await del(`/api/v1/invitations/${user.id}`);
        done(`The invitation of ${name} was cancelled.`);
      }, { ...label('Cancel invitation of'), class: 'danger' }),
    ];
  }
  return [
    actionButton('Restore', async () => done(`${name} was restored.`, await post(`/api/v1/users/${user.id}/restore`)), label('Restore')),
    actionButton('Delete permanently', async () => {
      if (!confirm(`Delete ${name} permanently? This cannot be undone; the audit trail stays.`)) return;
      await del(`/api/v1/users/${user.id}/permanent`);
      done(`${name} was deleted permanently.`);
    }, { ...label('Delete permanently'), class: 'danger' }),
  ];
}

export async function usersPage(params) {
  const state = {
    tab: ['active', 'pending', 'deleted'].includes(params.get('tab')) ? params.get('tab') : 'active',
    search: params.get('search') || '',
    role: params.get('role') || '',
    sortBy: params.get('sortBy') || 'created',
    sortOrder: params.get('sortOrder') === 'descending' ? 'descending' : 'ascending',
    offset: Math.max(0, Number(params.get('offset')) || 0),
  };
  const [list, kpis, org] = await Promise.all([
    get(`/api/v1/users${query({ tab: state.tab, search: state.search, role: state.role, sortBy: state.sortBy, sortOrder: state.sortOrder, offset: state.offset, limit: PAGE_SIZE })}`),
    get('/api/v1/kpis'),
    get('/api/v1/organization'),
  ]);

  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'User lists' },
    TABS.map((t) =>
      h('a', { href: usersHash({ ...state, tab: t.key, offset: 0 }), 'aria-current': t.key === state.tab ? 'page' : undefined, id: `tab-${t.key}` }, t.label, ' ', h('span', { class: 'count' }, String(list.tabs[t.key]))),
    ),
  );

  const filters = h(
    'form',
    { class: 'toolbar', role: 'search', 'aria-label': 'Find users' },
    field('Search', 'search', { type: 'search', value: state.search, maxlength: 200, placeholder: 'Name or email' }),
    field('Role', 'role', {}, { control: 'select', options: roleOptions(org, state.role, 'All roles') }),
    field('Sort by', 'sortBy', {}, { control: 'select', options: SORTS.map((s) => ({ ...s, selected: s.value === state.sortBy })) }),
    field('Order', 'sortOrder', {}, {
      control: 'select',
      options: [
        { value: 'ascending', label: 'Ascending', selected: state.sortOrder === 'ascending' },
        { value: 'descending', label: 'Descending', selected: state.sortOrder === 'descending' },
      ],
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply')),
  );
  onSubmit(filters, async (values) => {
    location.hash = usersHash({ ...state, ...values, offset: 0 });
  });

  const current = TABS.find((t) => t.key === state.tab);
  const table = list.items.length === 0
    ? h('p', { class: 'empty' }, state.search || state.role ? 'No user matches these filters.' : `No users in ${current.label.toLowerCase()}.`)
    : h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'users' },
          h('caption', { class: 'visually-hidden' }, `${current.label}, ${pageLabel(list.offset, list.items.length, list.total)}`),
          h('thead', {}, h('tr', {}, ['Name', 'Email', 'Role', 'Company', 'Status', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            {},
            list.items.map((u) =>
              h(
                'tr',
                { 'data-email': u.email || u.userName },
                h('th', { scope: 'row' }, h('a', { href: `#/users/${encodeURIComponent(u.id)}` }, u.name || u.email || u.userName)),
                h('td', { 'data-label': 'Email' }, u.email || u.userName),
                h('td', { 'data-label': 'Role' }, org.roles.find((r) => r.key === u.role)?.name || u.role || ''),
                h('td', { 'data-label': 'Company' }, u.company || ''),
                h('td', { 'data-label': 'Status' }, statusBadge(u.status), u.mustChangePassword ? h('span', { class: 'note' }, ' temporary password') : null),
                h('td', { class: 'row-actions' }, rowActions(u, state.tab)),
              ),
            ),
          ),
        ),
      );

  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    h('span', {}, pageLabel(list.offset, list.items.length, list.total)),
    state.offset > 0 ? h('a', { href: usersHash({ ...state, offset: Math.max(0, state.offset - PAGE_SIZE) }) }, 'Previous page') : null,
    state.offset + list.items.length < list.total ? h('a', { href: usersHash({ ...state, offset: state.offset + PAGE_SIZE }) }, 'Next page') : null,
  );

  return h(
    'section',
    {},
    h('div', { class: 'page-head' }, pageHeading('Users'), h('a', { class: 'button primary', href: '#/users/new' }, 'Add user')),
    kpiCards(kpis),
    tabs,
    filters,
    pageError(),
    table,
    pager,
  );
}

// ---- add user ----

function inviteForm(org) {
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'invite-title' },
    h('h2', { id: 'invite-title' }, 'Invite one person'),
    h('p', { class: 'hint' }, 'They get a link to choose their password. The invitation takes a seat until it is accepted or cancelled.'),
    field('Email', 'email', { type: 'email', required: true, maxlength: 256, autocomplete: 'off' }),
    field('Name', 'name', { maxlength: 200 }),
    field('Role', 'role', {}, { control: 'select', options: roleOptions(org, '', `Default (${org.roles.find((r) => r.key === org.defaultRole)?.name || org.defaultRole})`) }),
    companyField(org),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Send invitation')),
    result,
  );
  onSubmit(
    form,
    async (values) => {
      const sent = await post('/api/v1/invitations', compact(values));
      fill(result, h('p', { class: 'success' }, `Invitation sent to ${sent.email}. It expires ${when(sent.expiresAt)}.`));
      announce(`Invitation sent to ${sent.email}.`);
      form.reset();
    },
    { aliases: { userName: 'email', emails: 'email' } },
  );
  return form;
}

function createForm(org) {
  const result = h('div', { class: 'result' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'create-title' },
    h('h2', { id: 'create-title' }, 'Create with a temporary password'),
    h('p', { class: 'hint' }, 'The user is active at once and must choose their own password at first sign-in.'),
    field('Email', 'email', { type: 'email', required: true, maxlength: 256, autocomplete: 'off' }),
    field('Name', 'name', { maxlength: 200 }),
    field('Role', 'role', {}, { control: 'select', options: roleOptions(org, '', 'Default') }),
    companyField(org),
    field('Temporary password', 'temporaryPassword', { type: 'text', minlength: 8, maxlength: 1024, autocomplete: 'off' }, { hint: 'Leave empty and Roster generates one.' }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create user')),
    result,
  );
  onSubmit(
    form,
    async (values) => {
      const created = await post('/api/v1/users', compact(values));
      const who = created.user.email || created.user.userName;
      fill(
        result,
        h('div', { class: 'secret', role: 'alert' },
          h('p', {}, `${who} was created.`),
          created.temporaryPassword
            ? [h('p', {}, 'Temporary password (shown only now; give it to them over a safe channel):'), h('code', { class: 'secret-value', id: 'temporary-password' }, created.temporaryPassword)]
            : h('p', {}, 'They sign in with the temporary password you chose.'),
        ),
      );
      form.reset();
    },
    { aliases: { userName: 'email', emails: 'email', password: 'temporaryPassword' } },
  );
  return form;
}

function importForm() {
  const progress = h('div', { class: 'progress-area', hidden: true });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'import-title' },
    h('h2', { id: 'import-title' }, 'Invite many from a file'),
    h('p', { class: 'hint' }, 'A CSV or Excel (.xlsx) file with a header row: email (required), name, role, company. Each row becomes an invitation; rows already invited or refused are listed below.'),
    field('File', 'file', { type: 'file', required: true, accept: '.csv,.xlsx,.json,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Upload and invite')),
    progress,
  );
  onSubmit(form, async (_values, f) => {
    const file = f.elements.namedItem('file').files[0];
    const type = importTypeOf(file.name);
    if (!type) throw Object.assign(new Error(), { field: 'file', fieldMessage: 'choose a .csv or .xlsx file' });
    const { body: job } = await call('POST', `/api/v1/imports${query({ fileName: file.name })}`, { raw: file, contentType: type });
    await followJob(job, progress);
    form.reset();
  }, {});
  return form;
}

/** Shows the job's progress from GET /jobs/{id} until it ends, then its per-row report. */
async function followJob(first, area) {
  area.hidden = false;
  const bar = h('progress', { max: '1', value: '0', 'aria-labelledby': 'job-label' });
  const label = h('p', { id: 'job-label' });
  const report = h('div', { class: 'report' });
  fill(area, label, bar, report);
  let job = first;
  for (;;) {
    const total = Math.max(job.total, 1);
    bar.max = total;
    bar.value = job.processed;
    label.textContent = job.state === 'queued'
      ? `Import queued: ${job.fileName || 'file'}`
      : `Inviting: ${job.processed} of ${job.total} rows (${job.succeeded} invited, ${job.failed} refused)`;
    if (job.state === 'completed' || job.state === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, 400));
    job = await get(`/api/v1/jobs/${encodeURIComponent(job.id)}`);
  }
  const summary = job.state === 'failed'
    ? `The import stopped: ${job.failureReason || 'unknown reason'}. ${job.succeeded} invited, ${job.failed} refused.`
    : `Import finished: ${job.succeeded} invited, ${job.failed} refused, of ${job.total} rows.`;
  label.textContent = summary;
  announce(summary);
  if (job.errors && job.errors.length > 0) {
    fill(
      report,
      h('h3', {}, 'Rows not invited'),
      h('div', { class: 'table-wrap' },
        h('table', {},
          h('thead', {}, h('tr', {}, ['Row', 'Email', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, job.errors.map((e) => h('tr', {}, h('td', {}, String(e.row)), h('td', {}, e.email || ''), h('td', {}, e.reason)))),
        ),
      ),
    );
  }
}

/** The non-empty values of a form (an empty optional field is left out, not sent as ""). */
function compact(values) {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'string' && v.trim() !== '').map(([k, v]) => [k, v.trim()]));
}

export async function addUserPage() {
  const org = await get('/api/v1/organization');
  return h(
    'section',
    {},
    h('p', {}, h('a', { href: '#/users' }, '← Users')),
    pageHeading('Add user'),
    h('div', { class: 'grid' }, inviteForm(org), importForm(), createForm(org)),
  );
}

// ---- one user ----

export async function userDetailPage(id) {
  const path = `/api/v1/users/${encodeURIComponent(id)}`;
  const loaded = await call('GET', path);
  let user = loaded.body;
  let etag = loaded.etag;
  const [org, sessions, audit, invitation] = await Promise.all([
    get('/api/v1/organization'),
    user.status === 'active' ? get(`${path}/sessions`) : Promise.resolve({ items: [] }),
    get(`/api/v1/audit${query({ userId: id, limit: 20 })}`),
    user.status === 'invited' ? get(`/api/v1/invitations/${encodeURIComponent(id)}`).catch(() => undefined) : Promise.resolve(undefined),
  ]);
  const name = user.name || user.email || user.userName;

  const editable = user.status !== 'deleted';
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'edit-title' },
    h('h2', { id: 'edit-title' }, 'Details'),
    field('Name', 'name', { value: user.name || '', maxlength: 200, disabled: !editable }),
    field('Email', 'email', { type: 'email', value: user.email || '', required: true, maxlength: 256, disabled: !editable }),
    field('Role', 'role', { disabled: !editable }, { control: 'select', options: roleOptions(org, user.role || '', 'Default role') }),
    companyField(org, user.company || ''),
    formError(),
    editable ? h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save changes')) : null,
  );
  onSubmit(
    form,
    async (values) => {
      const change = {};
      if ((values.name || '').trim() !== (user.name || '')) change.name = values.name.trim() || null;
      if ((values.email || '').trim() !== (user.email || '')) change.email = values.email.trim();
      if ((values.role || '') !== (user.role || '')) change.role = values.role || null;
      if ((values.company || '').trim() !== (user.company || '')) change.company = (values.company || '').trim() || null;
      if (Object.keys(change).length === 0) {
        announce('Nothing changed.');
        return;
      }
      const saved = await patch(path, change, etag);
      user = saved.body;
      etag = saved.etag;
      announce('Saved.');
      const ok = form.querySelector('.success') || h('p', { class: 'success', role: 'status' });
      ok.textContent = 'Saved.';
      form.append(ok);
    },
    { aliases: { userName: 'email', emails: 'email' } },
  );

  const actions = [];
  const after = (message) => {
    announce(message);
    reload();
  };
  const self = isMe(user.id);
  if (user.status === 'active' && !self) actions.push(actionButton('Suspend', async () => after(`${name} is suspended.`, await post(`${path}/suspend`))));
  if (user.status === 'suspended') actions.push(actionButton('Activate', async () => after(`${name} is active again.`, await post(`${path}/activate`))));
  if (user.status === 'active') {
    actions.push(actionButton('Send password reset', async () => {
      await post(`${path}/password-reset`);
      announce(`A password reset link was sent to ${name}.`);
      const note = document.getElementById('page-note');
      note.textContent = `A password reset link was sent to ${user.email || user.userName}.`;
      note.hidden = false;
    }));
  }
  if (user.status === 'invited') {
    actions.push(actionButton('Resend invitation', async () => after(`A new invitation was sent to ${name}.`, await post(`/api/v1/invitations/${user.id}/resend`))));
    actions.push(actionButton('Cancel invitation', async () => {
      if (!confirm(`Cancel the invitation of ${name}?`)) return;
      await del(`/api/v1/invitations/${user.id}`);
      announce(`The invitation of ${name} was cancelled.`);
      location.hash = '#/users?tab=pending';
    }, { class: 'danger' }));
  }
  if ((user.status === 'active' || user.status === 'suspended') && !self) {
    actions.push(actionButton('Delete', async () => {
      if (!confirm(`Delete ${name}? They can be restored from Recently deleted until retention ends.`)) return;
      await del(path);
      after(`${name} was moved to Recently deleted.`);
    }, { class: 'danger' }));
  }
  if (user.status === 'deleted') {
    actions.push(actionButton('Restore', async () => after(`${name} was restored.`, await post(`${path}/restore`))));
    actions.push(actionButton('Delete permanently', async () => {
      if (!confirm(`Delete ${name} permanently? This cannot be undone.`)) return;
      await del(`${path}/permanent`);
      announce(`${name} was deleted permanently.`);
      location.hash = '#/users?tab=deleted';
    }, { class: 'danger' }));
  }

  const sessionsCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'sessions-title' },
    h('h2', { id: 'sessions-title' }, 'Active sessions'),
    sessions.items.length === 0
      ? h('p', { class: 'empty' }, 'No active sessions.')
      : [
          h('ul', { class: 'plain' }, sessions.items.map((s) =>
            h('li', {}, `Signed in ${when(s.created)}`, s.lastUsedAt ? `, last seen ${when(s.lastUsedAt)}` : '', ` · ends ${when(s.expiresAt)} `,
              actionButton('Terminate', async () => after('The session was ended.', await del(`${path}/sessions/${s.id}`)), { 'aria-label': `Terminate the session started ${when(s.created)}` })),
          )),
          actionButton('End all sessions', async () => after('Every session of this user was ended.', await del(`${path}/sessions`)), { class: 'danger' }),
        ],
  );

  const history = h(
    'section',
    { class: 'card', 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title' }, 'History'),
    audit.items.length === 0 ? h('p', { class: 'empty' }, 'Nothing recorded yet.') : h('ol', { class: 'history' }, audit.items.map((e) => h('li', {}, h('time', { datetime: e.at }, when(e.at)), ' ', h('strong', {}, e.action), ` by ${e.actor?.name || e.actor?.id || 'Roster'}`))),
    h('p', {}, h('a', { href: `#/audit${query({ userId: id })}` }, 'Full audit log of this user')),
  );

  return h(
    'section',
    {},
    h('p', {}, h('a', { href: `#/users${user.tab !== 'active' ? `?tab=${user.tab}` : ''}` }, '← Users')),
    h('div', { class: 'page-head start' }, pageHeading(name), statusBadge(user.status), self ? h('span', { class: 'note' }, 'this is you') : null),
    h('p', { class: 'meta' }, `Added ${when(user.created)}`, user.onboardedAt ? ` · onboarded ${when(user.onboardedAt)}` : '', user.deletedAt ? ` · deleted ${when(user.deletedAt)}` : '', user.externalId ? ` · from the identity provider (externalId ${user.externalId})` : ''),
    invitation ? h('p', { class: 'meta' }, `Invitation sent ${when(invitation.lastSentAt)} (${invitation.resendCount} resends), expires ${when(invitation.expiresAt)}.`) : null,
    h('div', { class: 'actions toolbar-actions' }, actions),
    pageError(),
    h('p', { id: 'page-note', class: 'success', role: 'status', hidden: true }),
    h('div', { class: 'grid' }, form, sessionsCard, history),
  );
}

export { reportError };
