import { expect } from 'chai';
import { TasksApi, WebhooksApi } from '../../generated/sdk/dist/index.js';
import { tokenFor } from '../helpers/tokens.js';
import { describeSdk, expectResponseError, type SdkSuite } from './sdk-suite.js';

/** A user of its own with the SDK's webhooks and tasks APIs. */
function newWebhooksUser(suite: SdkSuite) {
  const { id } = suite.newUser();
  const configuration = suite.configuration({ accessToken: () => tokenFor(id) });
  return { id, webhooks: new WebhooksApi(configuration), tasks: new TasksApi(configuration) };
}

const HOOK = { url: 'https://hooks.example.com/sdk', event_types: ['task.created' as const] };

describeSdk('SDK: webhooks', (suite) => {
  it('creates a webhook with its Location and its secret, once; lists and gets it without the secret', async () => {
    const alice = newWebhooksUser(suite);
    const created = await alice.webhooks.createWebhookRaw({
      userId: alice.id,
      webhookCreate: { ...HOOK, description: 'From the SDK' },
      idempotencyKey: `sdk-${alice.id}`,
    });
    const webhook = await created.value();
    expect(created.raw.status).to.equal(201);
    expect(created.raw.headers.get('location')).to.equal(`/api/${alice.id}/webhooks/${webhook.id}`);
    expect(webhook).to.include({ url: HOOK.url, enabled: true, disabled_reason: null, description: 'From the SDK' });
    expect(webhook.secret).to.match(/^whsec_/);
    expect(webhook.created_at).to.be.instanceOf(Date);

    const { secret, ...withoutSecret } = webhook;
    const read = await alice.webhooks.getWebhook({ userId: alice.id, webhookId: webhook.id });
    expect(read).to.deep.equal({ ...withoutSecret, secret: undefined });
    expect((await alice.webhooks.listWebhooks({ userId: alice.id })).items.map((each) => each.id)).to.deep.equal([
      webhook.id,
    ]);
    expect(secret).to.be.a('string');
  });

  it('updates with a merge patch and If-Match (412 when stale), rotates the secret, deletes (then 404)', async () => {
    const alice = newWebhooksUser(suite);
    const webhook = await alice.webhooks.createWebhook({ userId: alice.id, webhookCreate: HOOK });
    const etag = (await alice.webhooks.getWebhookRaw({ userId: alice.id, webhookId: webhook.id })).raw.headers.get(
      'etag',
    )!;
    const updated = await alice.webhooks.updateWebhook({
      userId: alice.id,
      webhookId: webhook.id,
      webhookPatch: { event_types: ['task.completed', 'webhook.disabled'], description: null, rotate_secret: true },
      ifMatch: etag,
    });
    expect(updated.event_types).to.deep.equal(['task.completed', 'webhook.disabled']);
    expect(updated.secret)
      .to.match(/^whsec_/)
      .and.not.equal(webhook.secret);
    await expectResponseError(
      alice.webhooks.updateWebhook({
        userId: alice.id,
        webhookId: webhook.id,
        webhookPatch: { enabled: false },
        ifMatch: etag,
      }),
      412,
    );
    await alice.webhooks.deleteWebhook({ userId: alice.id, webhookId: webhook.id });
    await expectResponseError(alice.webhooks.getWebhook({ userId: alice.id, webhookId: webhook.id }), 404);
  });

  it('lists the deliveries with Date timestamps, and sends one again (409 while it is pending)', async () => {
    const alice = newWebhooksUser(suite);
    const webhook = await alice.webhooks.createWebhook({ userId: alice.id, webhookCreate: HOOK });
    await alice.tasks.createTask({ userId: alice.id, taskCreate: { title: 'Seen by the webhook' } });
    const page = await alice.webhooks.listWebhookDeliveries({ userId: alice.id, webhookId: webhook.id, limit: 10 });
    expect(page.next_cursor).to.equal(null);
    const [delivery] = page.items;
    expect(delivery).to.include({ event_type: 'task.created', status: 'pending', attempts: 0 });
    expect(delivery!.created_at).to.be.instanceOf(Date);
    expect(delivery!.next_attempt_at).to.be.instanceOf(Date);
    const retry = { userId: alice.id, webhookId: webhook.id, deliveryId: delivery!.id };
    await expectResponseError(alice.webhooks.retryWebhookDelivery(retry), 409);

    // Disabling fails it; once enabled again it can be sent again.
    await alice.webhooks.updateWebhook({ userId: alice.id, webhookId: webhook.id, webhookPatch: { enabled: false } });
    await alice.webhooks.updateWebhook({ userId: alice.id, webhookId: webhook.id, webhookPatch: { enabled: true } });
    const sent = await alice.webhooks.retryWebhookDeliveryRaw(retry);
    expect(sent.raw.status).to.equal(202);
    expect(await sent.value()).to.include({ id: delivery!.id, status: 'pending', last_error: 'webhook_disabled' });
  });
});
