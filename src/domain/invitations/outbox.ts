import type { OutboxRecord } from '../../store/outbox.repository.js';
import type { Repositories } from '../../store/repositories.js';
import type { RequestContext } from '../context.js';

/** One kept message as the side API shows it. */
export interface OutboxMessageView {
  id: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  link?: string;
  created: string;
}

function toView(m: OutboxRecord): OutboxMessageView {
  return {
    id: m._id,
    kind: m.kind,
    to: m.to,
    subject: m.subject,
    text: m.text,
    ...(m.link ? { link: m.link } : {}),
    created: m.created.toISOString(),
  };
}

/** The messages kept because no SMTP server is configured (mailer.ts OutboxMailer writes them), newest first. */
export class OutboxService {
  private readonly repo;

  constructor(repos: Pick<Repositories, 'outbox'>) {
    this.repo = repos.outbox;
  }

  async list(ctx: Pick<RequestContext, 'orgId'>, offset: number, limit: number): Promise<{ total: number; items: OutboxMessageView[] }> {
    const page = await this.repo.list(ctx.orgId, offset, limit);
    return { total: page.total, items: page.items.map(toView) };
  }
}
