import { randomBytes } from 'node:crypto';
import { h } from './harness.js';

/** Users of another organization, so that reading the table costs what it does in a real directory. */
export async function withFiller<T>(run: () => Promise<T>): Promise<T> {
  const orgId = `filler-${randomBytes(4).toString('hex')}`;
  const users = h().store.connection.db!.collection('users');
  await users.insertMany(
    Array.from({ length: 3000 }, (_, i) => ({ _id: `${orgId}-${i}`, orgId, userNameKey: `f${i}@example.com`, emailKey: `f${i}@example.com`, externalId: `f${i}`, status: 'active' })) as never[],
  );
  try {
    return await run();
  } finally {
    await users.deleteMany({ orgId });
  }
}
