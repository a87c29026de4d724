import { startEmbeddedDatabase } from '../src/store/embedded-database.ts';
import { connectStore } from '../src/store/connection.ts';
import { readFileSync } from 'node:fs';
const db = await startEmbeddedDatabase({ dataDir: '/tmp/died', mode: 'ferretdb-postgresql', projectRoot: '/work/wt/i12', ephemeral: true, onFault: (m) => console.log('FAULT', m) });
const store = await connectStore(db.uri, { dbName: 'roster', postgresUrl: db.postgresUrl });
await store.ping(); console.log('ping ok');
const pid = Number(readFileSync('/tmp/died/postgres/postmaster.pid', 'utf8').split('\n')[0]);
process.kill(pid, 'SIGKILL');
await new Promise((r) => setTimeout(r, 500));
const t = Date.now();
try { await Promise.race([store.ping(), new Promise((_, f) => setTimeout(() => f(new Error('hung')), 15000))]); console.log('ping ok after kill?!'); } catch (e) { console.log('ping failed', (e as Error).message.slice(0, 200), Date.now() - t, 'ms'); }
try { await store.models.User.findOne({ _id: 'x' }).maxTimeMS(5000); console.log('find ok?!'); } catch (e) { console.log('find failed', (e as Error).message.slice(0, 200), Date.now() - t, 'ms'); }
await store.close().catch(() => {}); await db.stop();
