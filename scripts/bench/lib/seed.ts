/**
 * Seed users for the benchmarks, shaped exactly as Roster stores them: the SCIM
 * body goes through parseUserResource and recordFieldsFrom (src/domain/users/
 * user.mapper.ts), then gets the fields UserService.create adds and the lower-cased shadow keys
 * the repository writes (src/store/case-keys.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { parseUserResource, recordFieldsFrom } from '../../../src/domain/users/user.mapper.js';
import type { UserRecord } from '../../../src/store/user.repository.js';
import { withCaseKeys } from '../../../src/store/case-keys.js';

export const GIVEN = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Dennis', 'Radia', 'Leslie'];
export const FAMILY = [
  'Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Ritchie',
  'Perlman', 'Lamport', 'Backus', 'Kernighan', 'Wirth', 'Hoare', 'Milner', 'Sammet', 'Goldberg', 'Shaw',
];

export function pad(i: number): string {
  return String(i).padStart(7, '0');
}
export function userNameOf(i: number): string {
  return `bench.user.${pad(i)}@bench.example.com`;
}
export function externalIdOf(i: number): string {
  return `ext-${pad(i)}`;
}

export interface SeedPlan {
  orgId: string;
  users: number;
  batch: number;
  /** created of user 0; user i is created at start + i * step (so the default sort is seed order) */
  start: Date;
  end: Date;
}

export function seedTimes(plan: SeedPlan, i: number, random: () => number): { created: Date; lastModified: Date } {
  const span = plan.end.getTime() - plan.start.getTime();
  const created = plan.start.getTime() + Math.floor((i * span) / plan.users);
  const lastModified = created + Math.floor(random() * (plan.end.getTime() - created));
  return { created: new Date(created), lastModified: new Date(lastModified) };
}

export function seedUser(plan: SeedPlan, i: number, random: () => number): UserRecord {
  const given = GIVEN[i % GIVEN.length]!;
  const family = FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]!;
  const userName = userNameOf(i);
  const input = parseUserResource({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    externalId: externalIdOf(i),
    name: { givenName: given, familyName: family },
    displayName: `${given} ${family} ${pad(i)}`,
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
  });
  const id = randomUUID();
  const { created, lastModified } = seedTimes(plan, i, random);
  return withCaseKeys({
    _id: id,
    orgId: plan.orgId,
    ...recordFieldsFrom(input, id),
    active: true,
    status: 'active',
    created,
    lastModified,
    version: 1,
  });
}

/** insertMany in batches; calls `progress` after each batch. */
export async function seedUsers(
  users: Collection<UserRecord>,
  plan: SeedPlan,
  random: () => number,
  progress: (done: number) => void,
): Promise<void> {
  for (let from = 0; from < plan.users; from += plan.batch) {
    const to = Math.min(plan.users, from + plan.batch);
    const docs: UserRecord[] = [];
    for (let i = from; i < to; i += 1) docs.push(seedUser(plan, i, random));
    await users.insertMany(docs, { ordered: false });
    progress(to);
  }
}
