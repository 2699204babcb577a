import nodemailer, { type Transporter } from 'nodemailer';
import type { DeliveryRecord, SubscriptionRecord } from '../../store/store.js';
import {
  digestHtmlOf,
  digestSubjectOf,
  digestTextOf,
  envelopeHtmlOf,
  envelopeSubjectOf,
  envelopeSummaryFromPayload,
  envelopeTextOf,
  htmlOf,
  isEnvelopePayload,
  subjectOf,
  summaryFromPayload,
  textOf,
} from './message.js';
import { signWebhook } from './webhook-signature.js';

export interface ChannelOptions {
  /** SMTP URL (smtp:// or smtps://, credentials in the URL); without it e-mail deliveries fail. */
  smtpUrl?: string | null;
  /** The From: address of e-mails. */
  from?: string;
  /** How long a webhook receiver may take to answer. */
  webhookTimeoutMs?: number;
}

/**
 * Sends one message on its subscription's channel: one delivery, or a digest's deliveries
 * together. Throws with a short reason when it did not go out.
 */
export type Send = (deliveries: DeliveryRecord[], subscription: SubscriptionRecord, now: number) => Promise<void>;

/** The senders by channel. Console deliveries need no sending: the inbox reads the outbox. */
export function createChannels(options: ChannelOptions): { send: Send; close(): void } {
  let transport: Transporter | null = null;
  const mailer = () => {
    if (!options.smtpUrl) throw new Error('no SMTP server configured (--smtp / SWITCHYARD_SMTP_URL)');
    transport ??= nodemailer.createTransport(pooled(options.smtpUrl));
    return transport;
  };
  const send: Send = async (deliveries, subscription, now) => {
    const digest = subscription.delivery !== 'immediate';
    // An envelope's end: one message on its own (envelope subscriptions are never digests).
    const envelope = !digest && isEnvelopePayload(deliveries[0].payload) ? envelopeSummaryFromPayload(deliveries[0].payload) : null;
    const summaries = deliveries.map((d) => summaryFromPayload(d.payload));
    const id = digest ? digestId(deliveries) : deliveryId(deliveries[0]);
    switch (subscription.channel) {
      case 'console':
        return;
      case 'email': {
        if (!subscription.address) throw new Error('no e-mail address');
        const cadence = subscription.delivery;
        await mailer().sendMail({
          from: options.from ?? 'switchyard@localhost',
          to: subscription.address,
          subject: envelope ? envelopeSubjectOf(envelope) : digest ? digestSubjectOf(summaries, cadence) : subjectOf(summaries[0]),
          text: envelope ? envelopeTextOf(envelope) : digest ? digestTextOf(summaries, cadence) : textOf(summaries[0]),
          html: envelope ? envelopeHtmlOf(envelope) : digest ? digestHtmlOf(summaries, cadence) : htmlOf(summaries[0]),
          headers: { 'X-Switchyard-Delivery': id },
        });
        return;
      }
      case 'webhook': {
        if (!subscription.url || !subscription.secret) throw new Error('no webhook URL');
        const createdAt = new Date(deliveries[0].createdAt).toISOString();
        const event = envelope
          ? { id, type: 'envelope.ended', createdAt, envelope }
          : digest
            ? { id, type: 'jobs.digest', createdAt, jobs: summaries }
            : { id, type: 'job.ended', createdAt, job: summaries[0] };
        const body = JSON.stringify(event);
        const response = await fetch(subscription.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Switchyard-Webhook',
            'switchyard-delivery': id,
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

/**
 * Keeps SMTP connections open between messages (nodemailer's pool, read from the URL's query)
 * unless the URL says otherwise: a connection and TLS handshake per message is what made
 * bursts of notifications slow.
 */
function pooled(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  return url.toString();
}

/** Stable across retries and restarts (one per event and subscription): receivers dedupe on it. */
export function deliveryId(delivery: DeliveryRecord): string {
  return `dlv_${delivery.subscriptionId}_${delivery.eventId}`;
}

/** A digest's id: its subscription and the range of events it covers (the same on a retry). */
export function digestId(deliveries: DeliveryRecord[]): string {
  const events = deliveries.map((d) => d.eventId);
  return `dgst_${deliveries[0].subscriptionId}_${Math.min(...events)}_${Math.max(...events)}`;
}
