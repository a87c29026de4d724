import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the domain reports (import jobs and rows); the HTTP layer observes the rest itself. */
export interface Observer {
  importJob(outcome: 'completed' | 'failed'): void;
  /** `outcome`: invited, or the row's error code (duplicate, seatLimit, domainNotAllowed, ...). */
  importRow(outcome: string): void;
}

export const noObserver: Observer = { importJob: () => undefined, importRow: () => undefined };

/** The business rules whose refusals are counted (README "Metrics"). */
export type Rule = 'seat' | 'domain' | 'uniqueness';

const IMPORT_ROW_RULES: Record<string, Rule> = {
  seatLimit: 'seat',
  domainNotAllowed: 'domain',
  duplicate: 'uniqueness',
  duplicateInFile: 'uniqueness',
};

/**
 * Roster's Prometheus metrics (prom-client), one registry per app so tests and several apps in one
 * process never share counters. Label values are bounded: routes are the OpenAPI document's path
 * templates (never raw paths with ids), database commands are command names.
 */
export class Metrics implements Observer {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'roster_http_requests_total',
    help: 'HTTP requests by route template, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'roster_http_request_duration_seconds',
    help: 'HTTP request latency by route template and method.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly httpInFlight = new Gauge({
    name: 'roster_http_requests_in_flight',
    help: 'HTTP requests being handled now (a scrape counts itself).',
    registers: [this.registry],
  });
  readonly scimOperations = new Counter({
    name: 'roster_scim_operations_total',
    help: 'SCIM operations by resource (Users, Groups, Bulk, Discovery) and operation (list, get, create, replace, patch, delete, search, bulk), with their status class.',
    labelNames: ['resource', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly dbDuration = new Histogram({
    name: 'roster_db_command_duration_seconds',
    help: 'Database command latency by command name (driver command monitoring).',
    labelNames: ['command', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly ruleRefusals = new Counter({
    name: 'roster_rule_refusals_total',
    help: 'Writes refused by a business rule: seat (seat limit), domain (email domain), uniqueness; source request or import.',
    labelNames: ['rule', 'source'] as const,
    registers: [this.registry],
  });
  readonly importJobs = new Counter({
    name: 'roster_import_jobs_total',
    help: 'Bulk import jobs that ended, by outcome (completed, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly importRows = new Counter({
    name: 'roster_import_rows_total',
    help: 'Bulk import rows processed, by outcome (invited, or the row error code).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly signins = new Counter({
    name: 'roster_signin_total',
    help: 'Sign-in attempts (POST /api/v1/sessions and password-change) by outcome: success or the refusal reason.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly eventDeliveries = new Counter({
    name: 'roster_event_deliveries_total',
    help: 'Lifecycle event SETs (docs/events.md) by outcome: delivered (push 2xx or poll acknowledgement), retried, failed (rejected by the receiver or given up).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    // Process metrics (CPU, memory, event loop lag, handles) with the roster_ prefix.
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'roster_' });
    for (const outcome of ['completed', 'failed'] as const) this.importJobs.inc({ outcome }, 0);
    for (const outcome of ['delivered', 'retried', 'failed'] as const) this.eventDeliveries.inc({ outcome }, 0);
    for (const rule of ['seat', 'domain', 'uniqueness'] as const) {
      for (const source of ['request', 'import'] as const) this.ruleRefusals.inc({ rule, source }, 0);
    }
  }

  eventDelivery(outcome: 'delivered' | 'retried' | 'failed', n: number): void {
    this.eventDeliveries.inc({ outcome }, n);
  }

  importJob(outcome: 'completed' | 'failed'): void {
    this.importJobs.inc({ outcome });
  }

  importRow(outcome: string): void {
    this.importRows.inc({ outcome });
    const rule = IMPORT_ROW_RULES[outcome];
    if (rule) this.ruleRefusals.inc({ rule, source: 'import' });
  }

  ruleRefused(rule: Rule): void {
    this.ruleRefusals.inc({ rule, source: 'request' });
  }

  databaseCommand(command: string, seconds: number, ok: boolean): void {
    this.dbDuration.observe({ command, outcome: ok ? 'ok' : 'error' }, seconds);
  }
}
