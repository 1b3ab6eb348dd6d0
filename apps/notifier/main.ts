import '../../libs/observability/start';
import { run, startService } from '../../libs/infra/bootstrap';
import { NotifierAppModule } from './notifier.module';

/** The notifier service: callouts.requested in; Twilio out; Twilio webhooks and ack links on HTTP_PORT. */
run(() => startService(NotifierAppModule, { title: 'notifier', bodyLimit: '100kb' }));
