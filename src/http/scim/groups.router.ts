import { Router, type Request } from 'express';
import type { GroupService, GroupView } from '../../domain/groups/group.service.js';
import type { GroupRecord } from '../../store/group.repository.js';
import { etagOf } from '../../scim/etag.js';
import { isAttributeReturned, projectResource, type ProjectionOptions } from '../../scim/projection.js';
import { listPage, type ResourceRouterSettings } from './list-page.js';
import { requestContext, sendScim } from '../respond.js';
import { parseListParams, projectionParams, type ListParams } from './list-params.js';
import { searchBody } from './search-body.js';
import type { RequestContext } from '../../domain/context.js';
import { ifMatchHeader as ifMatch } from '../if-match.js';

export interface GroupsRouterDeps extends ResourceRouterSettings {
  groups: GroupService;
}

/**
 * The groups with their members when the projection returns them. With `excludedAttributes=members`
 * (what Entra ID sends) the memberships collection is not read at all.
 */
async function withMembers(deps: Pick<GroupsRouterDeps, 'groups'>, c: RequestContext, groups: GroupRecord[], projection: ProjectionOptions): Promise<GroupView[]> {
  if (groups.length === 0 || !isAttributeReturned('Group', 'members', projection)) return groups.map((group) => ({ group }));
  if (groups.length === 1) return [{ group: groups[0]!, members: await deps.groups.members(c, groups[0]!._id) }];
  const members = await deps.groups.membersOf(c, groups.map((g) => g._id));
  return groups.map((group) => ({ group, members: members.get(group._id) ?? [] }));
}

async function present(deps: Pick<GroupsRouterDeps, 'groups'>, c: RequestContext, groups: GroupRecord[], projection: ProjectionOptions) {
  return (await withMembers(deps, c, groups, projection)).map((view) => projectResource(deps.groups.toScim(view, c), 'Group', projection));
}

/** Groups as a list presents them (members only when projected); also for POST /.search at the root. */
export function presentGroups(groups: GroupService, c: RequestContext, items: GroupRecord[], projection: ProjectionOptions) {
  return present({ groups }, c, items, projection);
}

/** GET /Groups and POST /Groups/.search: index or cursor (RFC 9865) paging, as for Users. */
export async function listGroups(deps: GroupsRouterDeps, c: RequestContext, params: ListParams): Promise<Record<string, unknown>> {
  return listPage(
    {
      resourceType: 'Group',
      list: (query) => deps.groups.list(c, query),
      count: (filter) => deps.groups.count(c, filter),
      present: (items) => present(deps, c, items, params.projection),
    },
    params,
    { now: deps.clock.now().getTime(), cursorTimeoutSeconds: deps.cursorTimeoutSeconds },
  );
}

export function groupsRouter(deps: GroupsRouterDeps): Router {
  const router = Router();
  const ctx = (req: Request): RequestContext => requestContext(req, deps.baseUrl);
  const projectionOf = (req: Request) => projectionParams(req.query as Record<string, unknown>);

  router.get('/', async (req, res) => {
    const params = parseListParams(req.query as Record<string, unknown>, deps.limits);
    sendScim(res, 200, await listGroups(deps, ctx(req), params));
  });

  router.post('/.search', async (req, res) => {
    sendScim(res, 200, await listGroups(deps, ctx(req), parseListParams(searchBody(req.body), deps.limits)));
  });

  router.post('/', async (req, res) => {
    const c = ctx(req);
    const view = await deps.groups.create(c, req.body);
    const resource = deps.groups.toScim(view, c);
    sendScim(res, 201, projectResource(resource, 'Group', projectionOf(req)), {
      Location: String((resource.meta as { location: string }).location),
      ETag: etagOf(view.group.version),
    });
  });

  router.get('/:id', async (req, res) => {
    const c = ctx(req);
    const projection = projectionOf(req);
    const group = await deps.groups.get(c, req.params.id);
    const [resource] = await present(deps, c, [group], projection);
    sendScim(res, 200, resource, { ETag: etagOf(group.version) });
  });

  router.put('/:id', async (req, res) => {
    const c = ctx(req);
    const projection = projectionOf(req);
    const group = await deps.groups.replace(c, req.params.id, req.body, ifMatch(req));
    const [resource] = await present(deps, c, [group], projection);
    sendScim(res, 200, resource, { ETag: etagOf(group.version) });
  });

  router.patch('/:id', async (req, res) => {
    const c = ctx(req);
    const projection = projectionOf(req);
    const group = await deps.groups.patch(c, req.params.id, req.body, ifMatch(req));
    // RFC 7644 3.5.2: 204 unless the client asks for attributes; answering with the resource would
    // read every member, and a member PATCH must cost the same on a group of any size.
    if (projection.attributes === undefined && projection.excludedAttributes === undefined) {
      res.setHeader('ETag', etagOf(group.version));
      res.status(204).end();
      return;
    }
    const [resource] = await present(deps, c, [group], projection);
    sendScim(res, 200, resource, { ETag: etagOf(group.version) });
  });

  router.delete('/:id', async (req, res) => {
    await deps.groups.remove(ctx(req), req.params.id, ifMatch(req));
    res.status(204).end();
  });

  return router;
}
