import { expect } from 'chai';
import {
  clearedCookie,
  csrfMatches,
  csrfTokenFor,
  grantsManageUsers,
  isSafeMethod,
  parseCookies,
  sessionCookie,
} from '../../../src/http/console/console-session.js';

describe('console sessions: pure parts', () => {
  it('parses a Cookie header: trims, unquotes, skips malformed pairs, keeps the first of a name', () => {
    const cookies = parseCookies(' a=1; roster_console="rss.x.y" ; junk; =nameless; a=2; b=');
    expect(cookies.get('a')).to.equal('1');
    expect(cookies.get('roster_console')).to.equal('rss.x.y');
    expect(cookies.get('b')).to.equal('');
    expect(cookies.has('junk')).to.equal(false);
    expect(parseCookies(undefined).size).to.equal(0);
  });

  it('derives a CSRF token per session and checks it whatever the length of the guess', () => {
    const a = csrfTokenFor('rss.aaa.secret-one');
    const b = csrfTokenFor('rss.aaa.secret-two');
    expect(a).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(a).to.not.equal(b);
    expect(csrfTokenFor('rss.aaa.secret-one')).to.equal(a);
    expect(csrfMatches(a, 'rss.aaa.secret-one')).to.equal(true);
    expect(csrfMatches(b, 'rss.aaa.secret-one')).to.equal(false);
    expect(csrfMatches(a.slice(1), 'rss.aaa.secret-one')).to.equal(false);
    expect(csrfMatches('', 'rss.aaa.secret-one')).to.equal(false);
    expect(csrfMatches(undefined, 'rss.aaa.secret-one')).to.equal(false);
  });

  it('writes HttpOnly SameSite=Strict cookies, Secure only on https, and clears them', () => {
    expect(sessionCookie('rss.a.b', { secure: false, maxAgeSeconds: 3600.7 })).to.equal('roster_console=rss.a.b; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict');
    expect(sessionCookie('rss.a.b', { secure: true, maxAgeSeconds: -5 })).to.equal('roster_console=rss.a.b; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure');
    expect(clearedCookie(true)).to.equal('roster_console=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure');
  });

  it('treats only GET, HEAD and OPTIONS as safe', () => {
    expect(['GET', 'HEAD', 'OPTIONS'].every(isSafeMethod)).to.equal(true);
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].some(isSafeMethod)).to.equal(false);
  });

  it('grants the console to a role with manage_users, by key or by name', () => {
    const org = {
      roles: [
        { key: 'admin', name: 'Admin', precedence: 100, permissions: ['manage_users'] },
        { key: 'user', name: 'Standard user', precedence: 10, permissions: [] },
      ],
    };
    expect(grantsManageUsers(org, [{ value: 'admin' }])).to.equal(true);
    expect(grantsManageUsers(org, [{ value: 'Admin' }])).to.equal(true);
    expect(grantsManageUsers(org, [{ value: 'user' }, { value: 'wizard' }])).to.equal(false);
    expect(grantsManageUsers(org, [])).to.equal(false);
  });
});
