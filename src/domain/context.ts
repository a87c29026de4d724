/** Who is asking, for which organization, under which request id. Passed to every domain call. */
export interface Actor {
  /** `user`: a person signed in to the console (README "Console"). */
  type: 'token' | 'operator' | 'system' | 'user';
  id: string;
  name: string;
}

export interface RequestContext {
  orgId: string;
  actor: Actor;
  requestId: string;
  /** Base URL of the SCIM endpoint (for meta.location), e.g. https://roster.example.com/scim/v2 */
  scimBaseUrl: string;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
