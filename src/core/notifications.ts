import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';

/**
 * Where a pattern sends its notices (a job finished, a file was processed): an SNS topic or an
 * EventBridge bus. A jsii union class: `Notifications.sns()`, `Notifications.eventBridge()`.
 */
export class Notifications {
  /**
   * Notices are published to an SNS topic.
   *
   * @param topic an existing topic; its key policy must let the publishing function use the key
   * @default - a new topic encrypted with a customer-managed KMS key, TLS-only
   */
  public static sns(topic?: sns.ITopic): Notifications {
    return new Notifications('SNS', topic, undefined);
  }

  /**
   * Notices are put on an EventBridge bus.
   *
   * @param bus the bus
   * @default - the account's default bus
   */
  public static eventBridge(bus?: events.IEventBus): Notifications {
    return new Notifications('EVENTBRIDGE', undefined, bus);
  }

  /**
   * `SNS` or `EVENTBRIDGE`.
   */
  public readonly kind: string;
  /**
   * The topic given to `Notifications.sns(topic)`.
   *
   * @default - none (a new topic, or EventBridge)
   */
  public readonly topic?: sns.ITopic;
  /**
   * The bus given to `Notifications.eventBridge(bus)`.
   *
   * @default - none (the default bus, or SNS)
   */
  public readonly bus?: events.IEventBus;

  private constructor(kind: string, topic: sns.ITopic | undefined, bus: events.IEventBus | undefined) {
    this.kind = kind;
    this.topic = topic;
    this.bus = bus;
  }
}
