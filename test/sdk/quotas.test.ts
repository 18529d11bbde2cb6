import { expect } from 'chai';
import { QuotaUsageNameEnum, type QuotaUsage } from '../../generated/sdk/dist/index.js';
import { describeSdk, expectResponseError } from './sdk-suite.js';

describeSdk(
  'SDK: a quota refusal is a typed 409 naming the quota',
  (suite) => {
    it('carries the quota (name, limit, used) in the problem, for the app to tell the user', async () => {
      const alice = suite.newUser();
      await alice.tasks.createTask({ userId: alice.id, taskCreate: { title: 'The only one' } });

      const error = await expectResponseError(
        alice.tasks.createTask({ userId: alice.id, taskCreate: { title: 'One too many' } }),
        409,
      );

      expect(error.problem?.type).to.equal('/docs#section/Quotas');
      const quota: QuotaUsage | undefined = error.problem?.quota;
      expect(quota).to.deep.equal({ name: QuotaUsageNameEnum.Tasks, limit: 1, used: 1 });
    });
  },
  { quotas: { tasksPerUser: 1 } },
);
