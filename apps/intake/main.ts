import '../../libs/observability/start';
import { run, startService } from '../../libs/infra/bootstrap';
import { AppModule } from './intake-app.module';

/** Warning intake: the duty-officer API and CAP (HTTP and warnings.cap) → the hazard topics. */
run(() =>
  startService(AppModule, {
    title: 'Warning intake (预警接入)',
    description: 'Issue, update and cancel (解除) warnings; receive CAP 1.2 / 1.1. See docs/intake.md.',
  }),
);
