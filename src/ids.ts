import { randomUUID } from 'node:crypto';

/** A new resource or record id: a random UUID (RFC 7643 3.1: unique, stable, never reassigned). */
export function newId(): string {
  return randomUUID();
}
