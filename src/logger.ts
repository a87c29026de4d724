import { pino, type Logger } from 'pino';

/** The logger is the one module-level singleton (docs/architecture.md "Layers"); this builds it from config. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'secret', '*.secret', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  });
}
