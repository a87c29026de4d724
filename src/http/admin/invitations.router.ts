import { Router, type Request } from 'express';
import { acceptInput, inviteInput, type InvitationService } from '../../domain/invitations/invitation.service.js';
import { externalBaseUrl, requestContext, sendJson } from '../respond.js';

export interface InvitationsRouterDeps {
  invitations: InvitationService;
  baseUrl: string;
  /** Base of the accept link in messages (ROSTER_PUBLIC_URL); empty: the external base URL. */
  publicUrl: string;
}

/** Side API (scope `admin`): invite, read, resend, cancel. */
export function invitationsRouter(deps: InvitationsRouterDeps): Router {
  const router = Router();
  const linkBase = (req: Request) => deps.publicUrl || externalBaseUrl(req, deps.baseUrl);

  router.post('/', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const input = inviteInput.parse(req.body ?? {});
    const invitation = await deps.invitations.invite(c, input, linkBase(req));
    res.setHeader('Location', `${c.scimBaseUrl}/Users/${invitation.userId}`);
    sendJson(res, 201, invitation);
  });

  router.get('/:userId', async (req, res) => {
    sendJson(res, 200, await deps.invitations.get(requestContext(req, deps.baseUrl), req.params.userId));
  });

  router.post('/:userId/resend', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    sendJson(res, 200, await deps.invitations.resend(c, req.params.userId, linkBase(req)));
  });

  router.delete('/:userId', async (req, res) => {
    await deps.invitations.cancel(requestContext(req, deps.baseUrl), req.params.userId);
    res.status(204).end();
  });

  return router;
}

/** Public (no token): the invitee accepts with the link's token and a password. */
export function invitationAcceptRouter(deps: Omit<InvitationsRouterDeps, 'publicUrl'>): Router {
  const router = Router();
  router.post('/accept', async (req, res) => {
    const input = acceptInput.parse(req.body ?? {});
    const scimBaseUrl = `${externalBaseUrl(req, deps.baseUrl)}/scim/v2`;
    sendJson(res, 200, await deps.invitations.accept(input.token, input.password, String(req.id ?? ''), scimBaseUrl));
  });
  return router;
}
