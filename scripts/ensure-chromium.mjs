#!/usr/bin/env node
// The console's browser tests (test/browser) drive Debian's chromium through playwright-core: a
// browser download cannot work on machines that reach only package registries. `npm test` runs this
// first so that the README's test command is the whole set-up: it installs the Debian package when
// the binary is missing and this runs as root with apt-get; otherwise it says what to do, and the
// browser tests fail naming the same fix (they are never skipped). Idempotent.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const binary = process.env.ROSTER_CHROMIUM ?? '/usr/bin/chromium';

function log(message) {
  process.stderr.write(`[chromium] ${message}\n`);
}

function hasAptGet() {
  try {
    execFileSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (!existsSync(binary)) {
  if (!process.env.ROSTER_CHROMIUM && process.getuid?.() === 0 && hasAptGet()) {
    log(`${binary} is missing: installing the Debian package chromium (once)`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
    } catch (err) {
      log(`could not install chromium (${err.message}); the browser tests will fail and say so`);
    }
  } else {
    log(`${binary} is missing; install Debian's chromium (apt-get install chromium) or set ROSTER_CHROMIUM. The browser tests will fail until then.`);
  }
}
