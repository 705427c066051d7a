import { afterEach, describe, expect, it } from 'vitest';
import { startJsonReceiver, type JsonReceiver } from '@wrapup/shared/testing';
import { buildNotification } from '../../notifications';
import { createNotifier, NotifyError, NotifyRequestError } from './notifier';
import { sampleReport } from '../../testing/sinks';

describe('notifier', () => {
  let receiver: JsonReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  const { runId, report } = sampleReport();
  const notification = buildNotification({ event: 'report.delivered', runId, report });

  it('posts the notification as JSON and resolves on 2xx', async () => {
    receiver = await startJsonReceiver(() => ({ status: 204 }));
    await createNotifier().send(receiver.url, notification);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]?.headers['content-type']).toMatch(/application\/json/);
    expect(receiver.requests[0]?.body).toEqual(notification);
  });

  it('throws with the status on a non-2xx, without retrying by itself', async () => {
    receiver = await startJsonReceiver(() => ({ status: 500, body: { error: 'boom' } }));
    const err = await createNotifier()
      .send(receiver.url, notification)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifyError);
    expect((err as NotifyError).statusCode).toBe(500);
    expect((err as NotifyError).message).toBe(
      `notifier ${new URL(receiver.url).origin} answered 500`,
    );
    expect(receiver.requests).toHaveLength(1);
  });

  it('names only the origin when the URL cannot be reached (the path may hold a token)', async () => {
    receiver = await startJsonReceiver();
    const url = `${new URL(receiver.url).origin}/services/T1/B1/secret-token`;
    await receiver.close();
    receiver = undefined;
    const err = await createNotifier()
      .send(url, notification)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifyRequestError);
    const { message, stack } = err as NotifyRequestError;
    expect(message).toMatch(new RegExp(`^notifier ${new URL(url).origin} failed: `));
    expect(`${message} ${stack}`).not.toContain('secret-token');
  });
});
