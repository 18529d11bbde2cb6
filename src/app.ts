import express, { type Express, type Request } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { createBearerAuthenticator } from './auth/bearer-authenticator.js';
import type { Config } from './config.js';
import { dispatchOperations } from './http/dispatch.js';
import { errorHandler } from './http/error-handler.js';
import { headAsGet } from './http/head-as-get.js';
import type { OperationHandlers } from './http/operations.js';
import { requestId } from './http/request-id.js';
import { assertPublicOperationsMatch, loadSpec } from './http/spec.js';
import { createSystemHandlers } from './system/system.handlers.js';
import { createTaskHandlers } from './tasks/tasks.handlers.js';
import { createTaskService } from './tasks/tasks.service.js';
import { createUserHandlers } from './users/users.handlers.js';
import { createUserProvisioner } from './users/user-provisioning.js';

export interface AppDependencies {
  readonly config: Pick<Config, 'env' | 'auth'>;
  readonly db: Knex;
  readonly logger: Logger;
}

/** The largest request body accepted. */
const BODY_LIMIT_BYTES = 100 * 1024;

/** Builds the whole HTTP application from its dependencies; no globals, so tests build their own. */
export function createApp({ config, db, logger }: AppDependencies): Express {
  const spec = loadSpec();
  assertPublicOperationsMatch(spec);

  const handlers: OperationHandlers = {
    ...createSystemHandlers(db),
    ...createUserHandlers(db),
    ...createTaskHandlers(createTaskService(db)),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // conditional requests are the contract's to define, not Express's

  app.use(
    pinoHttp({
      logger,
      genReqId: requestId,
      customProps: (req) => {
        const { user } = req as Request;
        return user ? { user_id: user.id } : {};
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  app.use(headAsGet());
  app.use(express.json({ limit: BODY_LIMIT_BYTES, type: ['application/json', 'application/*+json'] }));
  app.use(
    OpenApiValidator.middleware({
      apiSpec: spec as never,
      validateRequests: { allErrors: true }, // list every problem, not only the first
      // Every response is checked against the contract outside production; a mismatch is a 500.
      validateResponses: config.env !== 'production',
      validateSecurity: false, // Passport authenticates, after validation
      ignoreUndocumented: false,
    }),
  );
  app.use(
    dispatchOperations({
      handlers,
      authenticate: createBearerAuthenticator(config.auth),
      provisionUser: createUserProvisioner(db),
    }),
  );
  app.use(errorHandler());
  return app;
}
