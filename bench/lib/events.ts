import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { buildFinishEvent } from '@wrapup/genesys-sim';

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/**
 * Distinct finish events (unique campaign and webhook-id, so every request is a new event that
 * costs a run and a job), signed with the reference `standardwebhooks` library. `size` are signed
 * up front; once they are used up the pool signs more on demand (and counts them).
 */
export class SignedEventPool {
  private readonly webhook: Webhook;
  private readonly pool: SignedRequest[] = [];
  private next = 0;
  signedOnDemand = 0;

  /** With `cycle`, the pool starts over when used up (for servers that do not dedupe). */
  constructor(
    secret: string,
    readonly size: number,
    private readonly opts: { cycle?: boolean } = {},
  ) {
    this.webhook = new Webhook(secret);
    for (let i = 0; i < size; i++) this.pool.push(this.make());
  }

  private make(): SignedRequest {
    const eventId = randomUUID();
    const occurredAt = new Date().toISOString();
    const body = JSON.stringify(
      buildFinishEvent(
        {
          id: `bench-${randomUUID()}`,
          status: 'complete',
          occurredAt,
          durationSeconds: 600,
          contactCount: 20,
        },
        'guide',
        { eventId },
      ),
    );
    const now = new Date();
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': eventId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': this.webhook.sign(eventId, now, body),
      },
    };
  }

  /** The next unused event. */
  take(): SignedRequest {
    if (this.next < this.pool.length) return this.pool[this.next++]!;
    if (this.opts.cycle && this.pool.length > 0) {
      this.next = 1;
      return this.pool[0]!;
    }
    this.signedOnDemand += 1;
    return this.make();
  }

  get used(): number {
    return this.next + this.signedOnDemand;
  }
}
