import nodemailer, { type Transporter } from 'nodemailer';
import type { DeliveryRecord, SubscriptionRecord } from '../../store/store.js';
import { htmlOf, subjectOf, summaryFromPayload, textOf } from './message.js';
import { signWebhook } from './webhook-signature.js';

export interface ChannelOptions {
  /** SMTP URL (smtp:// or smtps://, credentials in the URL); without it e-mail deliveries fail. */
  smtpUrl?: string | null;
  /** The From: address of e-mails. */
  from?: string;
  /** How long a webhook receiver may take to answer. */
  webhookTimeoutMs?: number;
}

/** Sends one delivery on its channel; throws with a short reason when it did not go out. */
export type Send = (delivery: DeliveryRecord, subscription: SubscriptionRecord, now: number) => Promise<void>;

/** The senders by channel. Console deliveries need no sending: the inbox reads the outbox. */
export function createChannels(options: ChannelOptions): { send: Send; close(): void } {
  let transport: Transporter | null = null;
  const mailer = () => {
    if (!options.smtpUrl) throw new Error('no SMTP server configured (--smtp / SWITCHYARD_SMTP_URL)');
    transport ??= nodemailer.createTransport(options.smtpUrl);
    return transport;
  };
  const send: Send = async (delivery, subscription, now) => {
    const summary = summaryFromPayload(delivery.payload);
    switch (subscription.channel) {
      case 'console':
        return;
      case 'email': {
        if (!subscription.address) throw new Error('no e-mail address');
        await mailer().sendMail({
          from: options.from ?? 'switchyard@localhost',
          to: subscription.address,
          subject: subjectOf(summary),
          text: textOf(summary),
          html: htmlOf(summary),
          headers: { 'X-Switchyard-Delivery': deliveryId(delivery) },
        });
        return;
      }
      case 'webhook': {
        if (!subscription.url || !subscription.secret) throw new Error('no webhook URL');
        const body = JSON.stringify({ id: deliveryId(delivery), type: 'job.ended', createdAt: new Date(delivery.createdAt).toISOString(), job: summary });
        const response = await fetch(subscription.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Switchyard-Webhook',
            'switchyard-delivery': deliveryId(delivery),
            'switchyard-signature': signWebhook(subscription.secret, body, Math.floor(now / 1000)),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.webhookTimeoutMs ?? 10_000),
        });
        await response.body?.cancel();
        if (response.status < 200 || response.status >= 300) throw new Error(`HTTP ${response.status}`);
        return;
      }
    }
  };
  return { send, close: () => transport?.close() };
}

/** Stable across retries and restarts (one per event and subscription): receivers dedupe on it. */
export function deliveryId(delivery: DeliveryRecord): string {
  return `dlv_${delivery.subscriptionId}_${delivery.eventId}`;
}
