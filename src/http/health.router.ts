import { Router } from 'express';

export function healthRouter(ping: () => Promise<void>): Router {
  const router = Router();
  // Liveness: the process answers. Readiness: the database answers too.
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await ping();
      res.json({ status: 'ok', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  });
  return router;
}
