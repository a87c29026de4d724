import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { h, testConfig } from '../support/harness.js';
import { createLogger } from '../../src/logger.js';
import { connectStore, type Store } from '../../src/store/connection.js';
import { createApp, createServices, type Services } from '../../src/app.js';
import { bootstrapIfEmpty } from '../../src/domain/bootstrap.js';
import { systemClock } from '../../src/domain/context.js';

/**
 * The console end to end in a real browser: Debian's chromium driven by playwright-core, against
 * the app listening on 127.0.0.1 with a database of its own (first run included). These tests are
 * part of `npm test`: without chromium they fail and say how to install it (.ci/run does).
 */
const CHROMIUM = process.env.ROSTER_CHROMIUM ?? '/usr/bin/chromium';
// docs/screenshots is rewritten only when asked (ROSTER_SCREENSHOTS=1 npm run test:file -- test/browser/console.test.ts),
// so an ordinary `npm test` leaves the work tree as it found it.
let shotsDir = '';
const screenshots = () => shotsDir;
const PASSWORD = 'first admin password';

describe('Console in a browser (chromium)', function () {
  this.timeout(60_000);
  let store: Store;
  let services: Services;
  let server: Server;
  let base: string;
  let adminToken: string;
  let scimToken: string;
  let setupSecret: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let tmp: string;

  /** The side API with the bootstrap admin token: what another administrator does meanwhile. */
  const sideApi = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };

  const shot = async (name: string, p: Page = page) => {
    await p.screenshot({ path: join(screenshots(), `${name}.png`), fullPage: true });
  };

  const tabCount = async (tab: 'active' | 'pending' | 'deleted') => Number(await page.locator(`#tab-${tab} .count`).textContent());
  const kpi = async (label: string) =>
    (await page.locator('.kpi').filter({ has: page.locator('.kpi-label', { hasText: new RegExp(`^${label}$`) }) }).locator('.kpi-value').textContent())?.trim();
  /** A full load every time (another query string), so the page shows the server's state now. */
  let loads = 0;
  const load = (hash: string, p: Page = page) => p.goto(`${base}/admin/?load=${++loads}${hash}`);
  const openUsers = async (hash = '#/users') => {
    await load(hash);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  };

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `chromium is not installed at ${CHROMIUM}: the console's browser tests need it. ` +
          'Install it with `apt-get install -y chromium` (as .ci/run does), or point ROSTER_CHROMIUM at a Chromium binary.',
      );
    }
    tmp = mkdtempSync(join(tmpdir(), 'roster-browser-'));
    shotsDir = process.env.ROSTER_SCREENSHOTS ? join(h().config.projectRoot, 'docs', 'screenshots') : join(tmp, 'screenshots');
    mkdirSync(screenshots(), { recursive: true });
    // A database of its own on the harness's server: the first run starts from an empty one.
    const uri = h().embedded?.uri ?? h().config.mongodbUri;
    store = await connectStore(uri, { dbName: `roster_browser_${Date.now()}_${randomBytes(3).toString('hex')}` });
    const config = testConfig({ BASE_URL: '', ROSTER_IMPORT_BATCH_SIZE: 5 });
    const logger = createLogger('silent');
    services = createServices({ config, store, logger, clock: systemClock });
    const boot = await bootstrapIfEmpty(systemClock, services.organizations, services.tokens);
    if (!boot) throw new Error('the browser test database was not empty');
    adminToken = boot.adminToken.token;
    scimToken = boot.scimToken.token;
    setupSecret = (await services.consoleSetup.issue(boot.organizationId))!;
    server = createServer(createApp({ config, store, logger, clock: systemClock }, services));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await services?.imports.stop();
    await store?.connection.db?.dropDatabase().catch(() => undefined);
    await store?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('first run: / leads to the console, the setup link creates the first administrator and signs them in', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Sign in to the Roster console' }).waitFor();
    expect(new URL(page.url()).pathname).to.equal('/admin/');
    await page.goto(`${base}/admin/#/setup/${setupSecret}`);
    await page.getByRole('heading', { name: 'Set up Roster' }).waitFor();
    // The browser checks the form with the server's rules, and says so next to the field.
    await page.getByLabel('Email').fill('not an email');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.locator('.field', { hasText: 'Email' }).getByText('Expected an email address such as ada@example.com.').waitFor();
    await page.locator('.field', { hasText: 'Password' }).getByText('Must be at least 8 characters.').waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).to.equal('true');
    await shot('01-setup');
    await page.getByLabel('Your name').fill('Ada Admin');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    expect(await tabCount('active')).to.equal(1);
    expect(page.url()).to.not.include(setupSecret);
  });

  it('signs out, refuses a wrong password in words, and signs in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the Roster console' }).waitFor();
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('The email or password is not correct.').waitFor();
    await shot('02-sign-in');
    // With the keyboard only: the page opens on its heading, Tab reaches the fields in order, Enter signs in.
    await load('#/users');
    await page.getByRole('heading', { name: 'Sign in to the Roster console' }).waitFor();
    expect(await page.evaluate<string | undefined>('document.activeElement && document.activeElement.id')).to.equal('page-title');
    await page.keyboard.press('Tab');
    await page.keyboard.type('ada@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    expect(await page.evaluate<string | undefined>('document.activeElement && document.activeElement.id')).to.equal('page-title');
  });

  it('invites one person (a double click invites once), who accepts on the served page: tabs and KPIs follow', async () => {
    await openUsers();
    expect(await kpi('Invited users')).to.equal('0');
    await page.getByRole('link', { name: 'Add user' }).click();
    await page.getByRole('heading', { level: 1, name: 'Add user' }).waitFor();
    const invite = page.locator('form', { has: page.getByRole('heading', { name: 'Invite one person' }) });
    await invite.getByLabel('Email').fill('grace@example.com');
    await invite.getByLabel('Name').fill('Grace Hopper');
    await invite.getByRole('button', { name: 'Send invitation' }).dblclick();
    await invite.getByText('Invitation sent to grace@example.com.').waitFor();
    // The same address again: the server's refusal, in words next to the field.
    await invite.getByLabel('Email').fill('grace@example.com');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await invite.locator('.field', { hasText: 'Email' }).locator('.error').waitFor();
    expect(await invite.locator('.field', { hasText: 'Email' }).locator('.error').textContent()).to.match(/grace@example\.com/);

    await openUsers();
    expect(await tabCount('pending')).to.equal(1);
    expect(await kpi('Invited users')).to.equal('1');
    expect(await kpi('Pending')).to.equal('1');

    const outbox = await sideApi('GET', '/outbox');
    const link = outbox.items[0].link as string;
    expect(link.startsWith(`${base}/accept-invitation?token=`)).to.equal(true);
    const invitee = await context.newPage();
    await invitee.goto(link);
    await invitee.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
    expect(invitee.url()).to.equal(`${base}/accept-invitation`);
    await invitee.getByLabel('New password').fill('grace password');
    await invitee.getByLabel('Repeat the password').fill('grace passwort');
    await invitee.getByRole('button', { name: 'Set password and join' }).click();
    await invitee.getByText('The two passwords differ.').waitFor();
    await invitee.getByLabel('Repeat the password').fill('grace password');
    await shot('09-accept-invitation', invitee);
    await invitee.getByRole('button', { name: 'Set password and join' }).click();
    await invitee.getByText('Your account is ready.').waitFor();
    await invitee.close();

    await openUsers();
    expect(await tabCount('active')).to.equal(2);
    expect(await tabCount('pending')).to.equal(0);
    expect(await kpi('Completed')).to.equal('1');
    expect(await kpi('Completion rate')).to.equal('100%');
  });

  it('suspends, activates, deletes and restores a user from the list', async () => {
    await openUsers();
    await page.getByRole('button', { name: 'Suspend Grace Hopper' }).click();
    await page.locator('tr', { hasText: 'grace@example.com' }).getByText('Suspended').waitFor();
    await page.getByRole('button', { name: 'Activate Grace Hopper' }).click();
    await page.locator('tr', { hasText: 'grace@example.com' }).getByText('Active').waitFor();
    await page.getByRole('button', { name: 'Delete Grace Hopper' }).click();
    await page.locator('#tab-deleted .count', { hasText: '1' }).waitFor();
    expect(await tabCount('active')).to.equal(1);
    await page.locator('#tab-deleted').click();
    await page.getByRole('button', { name: 'Restore Grace Hopper' }).click();
    await page.locator('#tab-active .count', { hasText: '2' }).waitFor();
    expect(await tabCount('deleted')).to.equal(0);
  });

  it('invites a file of people with the job progress and a per-row report', async () => {
    const rows = ['email,name'];
    for (let i = 1; i <= 23; i++) rows.push(`person${i}@example.com,Person ${i}`);
    rows.push('grace@example.com,Grace again', 'not-an-email,Nobody');
    const file = join(tmp, 'people.csv');
    writeFileSync(file, rows.join('\n'));
    await load('#/users/new');
    const upload = page.locator('form', { has: page.getByRole('heading', { name: 'Invite many from a file' }) });
    await upload.getByLabel('File').setInputFiles(file);
    await upload.getByRole('button', { name: 'Upload and invite' }).click();
    await upload.getByText('Import finished: 23 invited, 2 refused, of 25 rows.').waitFor();
    const bar = upload.locator('progress');
    expect(await bar.getAttribute('max')).to.equal('25');
    expect(await bar.evaluate((el) => (el as unknown as { value: number }).value)).to.equal(25);
    const report = upload.locator('.report tbody tr');
    expect(await report.count()).to.equal(2);
    expect(await report.nth(0).textContent()).to.include('grace@example.com');
    await shot('04-add-user');
    await openUsers('#/users?tab=pending');
    expect(await tabCount('pending')).to.equal(23);
    expect(await kpi('Invited users')).to.equal('24');
    await page.getByText('1–20 of 23', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.getByText('21–23 of 23', { exact: true }).waitFor();
  });

  it('creates a user directly and shows the temporary password once', async () => {
    await load('#/users/new');
    const create = page.locator('form', { has: page.getByRole('heading', { name: 'Create with a temporary password' }) });
    await create.getByLabel('Email').fill('linus@example.com');
    await create.getByLabel('Name').fill('Linus T');
    await create.getByRole('button', { name: 'Create user' }).click();
    const secret = await create.locator('#temporary-password').textContent();
    expect(secret).to.match(/^[A-Za-z0-9_-]{24}$/);
    await openUsers('#/users?search=linus');
    expect(await page.content()).to.not.include(secret!);
    await page.locator('tr', { hasText: 'linus@example.com' }).getByText('temporary password').waitFor();
  });

  it('searches, filters by role and sorts the list', async () => {
    await openUsers();
    await page.getByLabel('Search').fill('ada@');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('1–1 of 1', { exact: true }).waitFor();
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Role').selectOption('admin');
    await page.getByLabel('Sort by').selectOption('email');
    await page.getByLabel('Order').selectOption('descending');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/role=admin/);
    await page.getByText('1–1 of 1', { exact: true }).waitFor();
    await openUsers('#/users?sortBy=email&sortOrder=descending');
    const emails = await page.locator('tbody tr td[data-label=Email]').allTextContents();
    expect(emails).to.deep.equal([...emails].sort().reverse());
    await shot('03-users');
  });

  it('edits a user, and a stale page says so instead of overwriting', async () => {
    // Grace signs in to the platform: the console lists that session.
    const signin = await sideApi('POST', '/tokens', { name: 'login page', scopes: ['signin'] });
    const platform = await fetch(`${base}/api/v1/sessions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${signin.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'grace@example.com', password: 'grace password' }),
    });
    expect(platform.status).to.equal(201);
    await openUsers('#/users?search=grace');
    await page.getByRole('link', { name: 'Grace Hopper' }).click();
    await page.getByRole('heading', { level: 1, name: 'Grace Hopper' }).waitFor();
    await page.getByLabel('Name').fill('Grace B. Hopper');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.', { exact: true }).first().waitFor();
    // Another administrator changes her meanwhile.
    const id = decodeURIComponent(page.url().split('#/users/')[1]!);
    await sideApi('PATCH', `/users/${id}`, { company: 'Navy' });
    await page.getByLabel('Name').fill('Amazing Grace');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/Someone changed this user after you opened the page/).waitFor();
    const now = await sideApi('GET', `/users/${id}`);
    expect(now.name).to.equal('Grace B. Hopper');
    await page.reload();
    await page.getByRole('heading', { level: 2, name: 'Active sessions' }).waitFor();
    await shot('05-user-detail');
    await page.getByRole('button', { name: /^Terminate the session/ }).click();
    await page.getByText('No active sessions.').waitFor();

    await page.getByRole('button', { name: 'Send password reset' }).click();
    await page.getByText('A password reset link was sent to grace@example.com.').waitFor();
    const reset = (await sideApi('GET', '/outbox')).items[0].link as string;
    expect(reset.startsWith(`${base}/reset-password?token=`)).to.equal(true);
    const grace = await context.newPage();
    await grace.goto(reset);
    await grace.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await grace.getByLabel('New password').fill('grace new password');
    await grace.getByLabel('Repeat the password').fill('grace new password');
    await grace.getByRole('button', { name: 'Set new password' }).click();
    await grace.getByText('Your password was changed.').waitFor();
    // The link works once.
    await grace.goto(reset);
    await grace.getByLabel('New password').fill('another password');
    await grace.getByLabel('Repeat the password').fill('another password');
    await grace.getByRole('button', { name: 'Set new password' }).click();
    await grace.locator('.field', { hasText: 'New password' }).locator('.error').waitFor();
    await grace.close();
  });

  it('offers no way to suspend or delete oneself', async () => {
    await openUsers('#/users?search=ada%40');
    await page.locator('tr', { hasText: 'ada@example.com' }).getByText('you', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Suspend Ada Admin' }).count()).to.equal(0);
  });

  it('shows the organization, the audit log filtered by user, and a SCIM token once', async () => {
    await load('#/organization');
    await page.getByRole('heading', { level: 1, name: 'Organization' }).waitFor();
    await page.getByLabel('Seat limit').fill('-1');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('.field', { hasText: 'Seat limit' }).getByText('Must be 0 or more.').waitFor();
    await page.getByLabel('Seat limit').fill('100');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('.kpi', { hasText: 'Seats used' }).getByText('of 100').waitFor();
    // A group the identity provider pushed, bound to a role from the page.
    const group = await fetch(`${base}/scim/v2/Groups`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${scimToken}`, 'Content-Type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering' }),
    });
    expect(group.status).to.equal(201);
    const groupId = ((await group.json()) as { id: string }).id;
    await page.getByLabel('Group id').fill('no-such-group');
    await page.getByRole('button', { name: 'Bind group' }).click();
    await page.locator('form', { hasText: 'Bind a group to a role' }).getByRole('alert').getByText(/no-such-group/).waitFor();
    await page.getByLabel('Group id').fill(groupId);
    await page.getByRole('button', { name: 'Bind group' }).click();
    await page.getByRole('button', { name: 'Unbind group Engineering from Admin' }).waitFor();
    await shot('06-organization');
    await page.getByRole('button', { name: 'Unbind group Engineering from Admin' }).click();
    await page.getByRole('button', { name: 'Unbind group Engineering from Admin' }).waitFor({ state: 'detached' });

    await load('#/audit');
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    await page.getByLabel('User (email or id)').fill('grace@example.com');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/userId=/);
    const graceId = new URLSearchParams(page.url().split('#/audit?')[1]).get('userId');
    expect(graceId).to.match(/^[0-9a-f-]{36}$/);
    // The filtered list is drawn: every entry is about her.
    await page.waitForFunction((id) => {
      type Node = { querySelector(s: string): unknown };
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<Node> } }).document;
      const rows = Array.from(doc.querySelectorAll('tbody tr'));
      return rows.length > 0 && rows.every((r) => r.querySelector(`a[href="#/users/${id}"]`));
    }, graceId);
    await page.locator('tbody tr', { hasText: 'user.created' }).first().waitFor();
    expect(await page.getByLabel('User (email or id)').inputValue()).to.equal('grace@example.com');
    await page.getByLabel('Actor (email or id)').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('.field', { hasText: 'Actor' }).getByText('No user has the email nobody@example.com.').waitFor();
    await page.getByLabel('Actor (email or id)').fill('');
    await shot('07-audit');

    await load('#/connections');
    await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
    expect(await page.locator('#scim-base').textContent()).to.equal(`${base}/scim/v2`);
    await page.getByLabel('Name').fill('Okta');
    // A double click creates one token.
    await page.getByRole('button', { name: 'Create token' }).dblclick();
    const token = (await page.locator('#new-token').textContent())!;
    expect(await page.locator('tbody tr', { hasText: 'Okta' }).count()).to.equal(1);
    expect((await sideApi('GET', '/tokens')).items.filter((t: { name: string }) => t.name === 'Okta')).to.have.length(1);
    expect(token).to.match(/^rst\./);
    const scim = await fetch(`${base}/scim/v2/Users?count=1`, { headers: { Authorization: `Bearer ${token}` } });
    expect(scim.status).to.equal(200);
    await shot('08-connections');
    await page.reload();
    await page.locator('tbody tr', { hasText: 'Okta' }).waitFor();
    expect(await page.content()).to.not.include(token);
    await page.getByRole('button', { name: 'Revoke Okta' }).click();
    await page.locator('tbody tr', { hasText: 'Okta' }).waitFor({ state: 'detached' });
    expect((await fetch(`${base}/scim/v2/Users?count=1`, { headers: { Authorization: `Bearer ${token}` } })).status).to.equal(401);
  });

  it('fits a phone screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    await phone.addCookies(await context.cookies());
    const p = await phone.newPage();
    await p.goto(`${base}/admin/#/users`);
    await p.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    const width = await p.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).to.be.at.most(390);
    await shot('10-users-phone', p);
    await phone.close();
  });

  it('ends the console at once when the administrator is suspended by someone else', async () => {
    const me = (await sideApi('GET', '/users?search=ada%40example.com')).items[0];
    await sideApi('POST', `/users/${me.id}/suspend`);
    await load('#/users');
    await page.getByRole('heading', { name: 'Sign in to the Roster console' }).waitFor();
  });
});
