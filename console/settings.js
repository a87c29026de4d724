// Organization settings, connections (SCIM endpoint and tokens) and the audit log.
import { del, get, patch, post, put, query, when } from './api.js';
import { actionButton, announce, field, fill, formError, h, onSubmit, pageError, pageHeading } from './ui.js';

const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
const lines = (text) => String(text || '').split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);

export async function organizationPage() {
  const [org, seats, roleList] = await Promise.all([get('/api/v1/organization'), get('/api/v1/seats'), get('/api/v1/roles')]);
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'org-settings-title' },
    h('h2', { id: 'org-settings-title' }, 'Settings'),
    field('Name', 'name', { value: org.name, required: true, maxlength: 200 }),
    field('Email domains', 'domains', { value: org.domains.join('\n'), rows: 3 }, { control: 'textarea', hint: 'One per line. Users must have an email on one of them; none: any domain.' }),
    h('div', { class: 'field checkbox' }, h('input', { type: 'checkbox', id: 'allow-subdomains', name: 'allowSubdomains', checked: org.allowSubdomains }), h('label', { for: 'allow-subdomains' }, 'Allow subdomains of these domains')),
    field('Seat limit', 'seatLimit', { type: 'number', min: 0, step: 1, value: org.seatLimit ?? '' }, { hint: `${seats.used} seats used. Empty: no limit.` }),
    field('Companies', 'companies', { value: org.companies.join('\n'), rows: 3 }, { control: 'textarea', hint: 'One per line. Users can be assigned to one of them.' }),
    field('Keep deleted users (days)', 'retentionDays', { type: 'number', min: 1, max: 3650, step: 1, required: true, value: org.retentionDays }, { hint: 'Recently deleted users can be restored for this long, then they are removed.' }),
    field('Invitation lifetime (hours)', 'invitationTtlHours', { type: 'number', min: 1, max: 2160, step: 1, required: true, value: org.invitationTtlHours }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save settings')),
  );
  onSubmit(form, async (values) => {
    await patch('/api/v1/organization', {
      name: values.name.trim(),
      domains: lines(values.domains),
      allowSubdomains: values.allowSubdomains === 'on',
      seatLimit: values.seatLimit === '' ? null : Number(values.seatLimit),
      companies: lines(values.companies),
      retentionDays: Number(values.retentionDays),
      invitationTtlHours: Number(values.invitationTtlHours),
    });
    announce('Settings saved.');
    reload();
  });

  const bindForm = h(
    'form',
    { class: 'inline-form', 'aria-labelledby': 'bind-title' },
    h('h3', { id: 'bind-title' }, 'Bind a group to a role'),
    h('p', { class: 'hint' }, 'Members of the group (pushed by your identity provider) get the role.'),
    field('Role', 'role', {}, { control: 'select', options: org.roles.map((r) => ({ value: r.key, label: r.name })) }),
    field('Group id', 'groupId', { required: true, maxlength: 200 }, { hint: 'The SCIM id of the group.' }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Bind group')),
  );
  onSubmit(bindForm, async (values) => {
    const bound = await put(`/api/v1/roles/${encodeURIComponent(values.role)}/group`, { groupId: values.groupId.trim() });
    announce(`Group ${bound.displayName || bound.groupId} now grants ${values.role}.`);
    reload();
  });

  const roles = h(
    'section',
    { class: 'card', 'aria-labelledby': 'roles-title' },
    h('h2', { id: 'roles-title' }, 'Roles'),
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('thead', {}, h('tr', {}, ['Role', 'Key', 'Permissions', 'Precedence', 'Group'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, roleList.items.map((r) =>
          h('tr', {},
            h('th', { scope: 'row' }, r.name, r.isDefault ? h('span', { class: 'note' }, ' (default)') : null),
            h('td', {}, r.key),
            h('td', {}, r.permissions.join(', ') || 'none'),
            h('td', {}, String(r.precedence)),
            h('td', {}, r.group
              ? [r.group.displayName, ' ', actionButton('Unbind', async () => {
                  await del(`/api/v1/roles/${encodeURIComponent(r.key)}/group`);
                  announce(`No group grants ${r.name} now.`);
                  reload();
                }, { 'aria-label': `Unbind group ${r.group.displayName} from ${r.name}` })]
              : h('span', { class: 'note' }, 'none')),
          ))),
      ),
    ),
    bindForm,
  );

  return h(
    'section',
    {},
    pageHeading('Organization'),
    h('ul', { class: 'kpis' },
      h('li', { class: 'kpi' }, h('span', { class: 'kpi-label' }, 'Seats used'), h('span', { class: 'kpi-value' }, String(seats.used)), h('span', { class: 'kpi-note' }, seats.limit === null ? 'no limit' : `of ${seats.limit}`)),
      h('li', { class: 'kpi' }, h('span', { class: 'kpi-label' }, 'Domains'), h('span', { class: 'kpi-value' }, String(org.domains.length)), h('span', { class: 'kpi-note' }, org.domains.join(', ') || 'any')),
      h('li', { class: 'kpi' }, h('span', { class: 'kpi-label' }, 'Retention'), h('span', { class: 'kpi-value' }, `${org.retentionDays} d`), h('span', { class: 'kpi-note' }, 'for deleted users')),
    ),
    pageError(),
    roles,
    form,
  );
}

export async function connectionsPage(session) {
  const tokens = await get('/api/v1/tokens');
  const scimBase = session.scimBaseUrl;
  const shown = h('div', { class: 'result' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'token-title' },
    h('h2', { id: 'token-title' }, 'Create a token'),
    field('Name', 'name', { required: true, maxlength: 200, placeholder: 'Okta provisioning' }),
    h('fieldset', {}, h('legend', {}, 'Scopes'),
      [['scim', 'SCIM provisioning (identity providers)'], ['admin', 'Side API (administration scripts)'], ['signin', 'Sign-in (your platform\u2019s login page)']].map(([value, label], i) =>
        h('div', { class: 'checkbox' }, h('input', { type: 'checkbox', id: `scope-${value}`, name: 'scopes', value, checked: i === 0 }), h('label', { for: `scope-${value}` }, label)))),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create token')),
    shown,
  );
  onSubmit(form, async (_values, f) => {
    const scopes = [...f.querySelectorAll('input[name=scopes]:checked')].map((i) => i.value);
    const issued = await post('/api/v1/tokens', { name: f.elements.namedItem('name').value.trim(), scopes });
    fill(list, tokenRows([...(await get('/api/v1/tokens')).items]));
    fill(
      shown,
      h('div', { class: 'secret', role: 'alert' },
        h('p', {}, `Token "${issued.name}" created. Copy it now: Roster keeps only a hash and will not show it again.`),
        h('code', { class: 'secret-value', id: 'new-token' }, issued.token),
        h('button', { type: 'button', onclick: () => navigator.clipboard?.writeText(issued.token).then(() => announce('Copied.')) }, 'Copy'),
      ),
    );
    f.reset();
  }, { aliases: { scopes: 'name' } });

  const tokenRows = (items) => items.length === 0
    ? h('p', { class: 'empty' }, 'No tokens.')
    : h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Name', 'Scopes', 'Created', ''].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, items.map((t) => h('tr', {},
          h('th', { scope: 'row' }, t.name),
          h('td', {}, t.scopes.join(', ')),
          h('td', {}, when(t.created)),
          h('td', {}, actionButton('Revoke', async () => {
            if (!confirm(`Revoke "${t.name}"? Whatever uses it stops working at once.`)) return;
            await del(`/api/v1/tokens/${t.id}`);
            announce(`Token ${t.name} revoked.`);
            fill(list, tokenRows((await get('/api/v1/tokens')).items));
          }, { class: 'danger', 'aria-label': `Revoke ${t.name}` })),
        )))));
  const list = h('div', {}, tokenRows(tokens.items));

  return h(
    'section',
    {},
    pageHeading('Connections'),
    h('section', { class: 'card', 'aria-labelledby': 'scim-title' },
      h('h2', { id: 'scim-title' }, 'SCIM endpoint'),
      h('p', {}, 'Identity providers push users and groups to this base URL with a token of scope scim:'),
      h('p', {}, h('code', { id: 'scim-base' }, scimBase)),
      h('details', {}, h('summary', {}, 'Okta'),
        h('ol', {},
          h('li', {}, 'In Okta, open your app integration, General → App Settings, and enable SCIM provisioning.'),
          h('li', {}, 'Provisioning → Integration: SCIM connector base URL is the URL above; Unique identifier field is userName.'),
          h('li', {}, 'Supported actions: Push New Users, Push Profile Updates, Push Groups. Authentication mode: HTTP Header, with a token of scope scim created below.'),
          h('li', {}, 'Provisioning → To App: enable Create Users, Update User Attributes and Deactivate Users.'))),
      h('details', {}, h('summary', {}, 'Microsoft Entra ID'),
        h('ol', {},
          h('li', {}, 'In Entra ID, Enterprise applications → your app → Provisioning, set Provisioning Mode to Automatic.'),
          h('li', {}, 'Tenant URL is the URL above; Secret Token is a token of scope scim created below. Test Connection.'),
          h('li', {}, 'Check the attribute mappings (userName from userPrincipalName or mail), assign users and groups, and start provisioning.')))),
    h('section', { class: 'card', 'aria-labelledby': 'tokens-title' }, h('h2', { id: 'tokens-title' }, 'Tokens'), pageError(), list),
    form,
  );
}

const PAGE = 50;

/** A user's id from what the administrator typed: an id as it is, an email looked up in every tab. */
async function userIdFrom(text) {
  const value = String(text || '').trim();
  if (!value || !value.includes('@')) return value || undefined;
  for (const tab of ['active', 'pending', 'deleted']) {
    const found = await get(`/api/v1/users${query({ tab, search: value, limit: 5 })}`);
    const exact = found.items.find((u) => (u.email || '').toLowerCase() === value.toLowerCase() || u.userName.toLowerCase() === value.toLowerCase());
    if (exact) return exact.id;
  }
  throw Object.assign(new Error(), { field: '_', fieldMessage: '' , missing: value });
}

function isoFromLocal(value) {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export async function auditPage(params) {
  const state = {
    userId: params.get('userId') || '',
    actorId: params.get('actorId') || '',
    // What the administrator typed (an email), shown again instead of the id it resolved to.
    user: params.get('user') || '',
    actor: params.get('actor') || '',
    since: params.get('since') || '',
    until: params.get('until') || '',
    offset: Math.max(0, Number(params.get('offset')) || 0),
  };
  const page = await get(`/api/v1/audit${query({ userId: state.userId, actorId: state.actorId, since: state.since, until: state.until, offset: state.offset, limit: PAGE })}`);
  const local = (iso) => (iso ? new Date(new Date(iso).getTime() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : '');
  const form = h(
    'form',
    { class: 'toolbar', role: 'search', 'aria-label': 'Filter the audit log' },
    field('User (email or id)', 'user', { value: state.user || state.userId, maxlength: 256 }),
    field('Actor (email or id)', 'actor', { value: state.actor || state.actorId, maxlength: 256 }),
    field('From', 'since', { type: 'datetime-local', value: local(state.since) }),
    field('To', 'until', { type: 'datetime-local', value: local(state.until) }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter')),
  );
  onSubmit(form, async (values, f) => {
    const resolve = async (name) => {
      try {
        return await userIdFrom(values[name]);
      } catch (err) {
        if (err.missing) throw Object.assign(new Error(), { field: name, fieldMessage: `no user has the email ${err.missing}` });
        throw err;
      }
    };
    const next = {
      userId: await resolve('user'),
      user: values.user.includes('@') ? values.user.trim() : undefined,
      actorId: await resolve('actor'),
      actor: values.actor.includes('@') ? values.actor.trim() : undefined,
      since: isoFromLocal(values.since),
      until: isoFromLocal(values.until),
    };
    if (next.since && next.until && next.since > next.until) throw Object.assign(new Error(), { field: 'until', fieldMessage: 'must be after From' });
    void f;
    location.hash = `#/audit${query(next)}`;
  });
  const to = (offset) => `#/audit${query({ ...state, offset: offset || undefined })}`;
  return h(
    'section',
    {},
    pageHeading('Audit log'),
    form,
    page.items.length === 0
      ? h('p', { class: 'empty' }, 'No entries match.')
      : h('div', { class: 'table-wrap' }, h('table', {},
          h('caption', { class: 'visually-hidden' }, `Audit entries ${page.offset + 1} to ${page.offset + page.items.length} of ${page.total}`),
          h('thead', {}, h('tr', {}, ['When', 'Action', 'Target', 'By', 'Changes'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, page.items.map((e) => h('tr', {},
            h('td', {}, h('time', { datetime: e.at }, when(e.at))),
            h('td', {}, e.action),
            h('td', {}, e.target?.type === 'User' && e.target.id !== '~unknown' ? h('a', { href: `#/users/${encodeURIComponent(e.target.id)}` }, e.target.userName || e.target.id) : `${e.target?.type || ''} ${e.target?.userName || e.target?.id || ''}`),
            h('td', {}, e.actor ? `${e.actor.name} (${e.actor.type})` : ''),
            h('td', { class: 'changes' }, (e.changes || []).map((c) => c.path).join(', ')),
          ))))),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('span', {}, page.total === 0 ? '' : `${page.offset + 1}–${page.offset + page.items.length} of ${page.total}`),
      state.offset > 0 ? h('a', { href: to(Math.max(0, state.offset - PAGE)) }, 'Previous page') : null,
      state.offset + page.items.length < page.total ? h('a', { href: to(state.offset + PAGE) }, 'Next page') : null),
  );
}
