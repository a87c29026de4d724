import { pino, type Logger } from 'pino';

/** The one module-level singleton STYLE.md allows is the logger; this builds it from config. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'secret', '*.secret', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  });
}
