import nodemailer from 'nodemailer';
import type { OutboxRepository } from '../../store/outbox.repository.js';
import type { Clock } from '../context.js';
import { newId } from '../../ids.js';

export interface Message {
  orgId: string;
  kind: 'invitation' | 'password_reset';
  to: string;
  subject: string;
  text: string;
  link: string;
}

/** How a message left: by SMTP, or kept in the outbox when no SMTP server is configured. */
export interface Delivery {
  channel: 'smtp' | 'outbox';
  sent: boolean;
  /** Why sending failed (SMTP only); the invitation stands and can be resent. */
  error?: string;
  /** Not sent yet: it leaves with its bulk import batch (InvitationService.flushBatch). */
  queued?: boolean;
}

export interface Mailer {
  send(message: Message): Promise<Delivery>;
  /** Many messages at once (bulk import batches), one delivery per message in order; else `send` one by one. */
  sendMany?(messages: Message[]): Promise<Delivery[]>;
}

/** docs/behaviour.md "Side API": delivery by SMTP. */
export class SmtpMailer implements Mailer {
  private readonly transport: nodemailer.Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  async send(message: Message): Promise<Delivery> {
    try {
      await this.transport.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text });
      return { channel: 'smtp', sent: true };
    } catch (err) {
      // The invitation is stored already; an admin can resend once the mail server is back.
      return { channel: 'smtp', sent: false, error: err instanceof Error ? err.message : 'SMTP delivery failed' };
    }
  }
}

/** Without SMTP configured, messages go to an outbox the side API lists. */
export class OutboxMailer implements Mailer {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly clock: Clock,
  ) {}

  async send(message: Message): Promise<Delivery> {
    await this.outbox.insert({ _id: newId(), ...message, created: this.clock.now() });
    return { channel: 'outbox', sent: true };
  }

  async sendMany(messages: Message[]): Promise<Delivery[]> {
    const created = this.clock.now();
    await this.outbox.insertMany(messages.map((message) => ({ _id: newId(), ...message, created })));
    return messages.map(() => ({ channel: 'outbox', sent: true }));
  }
}
