import { Router } from 'express';

/** Set by main.ts when SIGTERM arrives: readiness turns 503 while the listener still serves. */
export interface Lifecycle {
  stopping: boolean;
}

export function healthRouter(ping: () => Promise<void>, lifecycle: Lifecycle = { stopping: false }): Router {
  const router = Router();
  // Liveness: the process answers. Readiness: the database answers too, and the process is not stopping.
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    // During shutdown load balancers must stop sending before the listener closes (README "Shutdown").
    if (lifecycle.stopping) {
      res.status(503).json({ status: 'stopping', database: 'ok' });
      return;
    }
    try {
      await ping();
      res.json({ status: 'ok', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  });
  return router;
}
