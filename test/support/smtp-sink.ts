import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server on loopback that keeps every message it receives, for tests that follow the
 * links Roster sends (invitations, password resets). Not a mock: nodemailer speaks SMTP to it.
 */
export class SmtpSink {
  readonly received: string[] = [];
  private server?: SMTPServer;
  port = 0;

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.received.push(Buffer.concat(chunks).toString('utf8'));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The settings that send Roster's messages here, links based on https://app.example.com. */
  get settings(): Record<string, string> {
    return { SMTP_URL: this.url, SMTP_FROM: 'Roster <roster@example.com>', ROSTER_PUBLIC_URL: 'https://app.example.com/' };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The messages sent to `to`, quoted-printable soft breaks and "=3D" undone so links read whole. */
  messagesTo(to: string): string[] {
    const pattern = new RegExp(`^To: ${to.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'mi');
    return this.received.filter((m) => pattern.test(m)).map((m) => m.replace(/=\r?\n/g, '').replace(/=3D/g, '='));
  }
}
