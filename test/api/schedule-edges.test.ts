import { expect } from 'chai';
import { expectProblem, type ApiResponse, type Task, type TestUser } from '../helpers/api-client.js';
import { describeEachDatabase } from '../helpers/api-suite.js';
import { auditTrail } from '../helpers/task-state.js';

// The edges of due dates, zones and series: the far ends of the calendar, every RFC 3339
// spelling the API accepts, zones that are not IANA zones, and writes that keep a series going.

function pointersOf(response: ApiResponse): string[] {
  return (expectProblem(response, 400).errors ?? []).map((issue) => issue.pointer);
}

async function completeAndGetNext(user: TestUser, id: number): Promise<Task | null> {
  const done = await user.call<Task>('PATCH', `/tasks/${id}/complete`, { json: { completed: true } });
  expect(done.status, JSON.stringify(done.body)).to.equal(200);
  if (done.body.next_occurrence_id === null) return null;
  return (await user.call<Task>('GET', `/tasks/${done.body.next_occurrence_id}`)).body;
}

describeEachDatabase('due dates and series at their edges', (suite) => {
  it('accepts all-day dates from 0001-01-02 to 9999-12-30 in any zone, and refuses the days beyond', async () => {
    const alice = suite.newUser();
    for (const [due_date, time_zone] of [
      ['0001-01-02', 'Pacific/Kiritimati'],
      ['9999-12-30', 'Etc/GMT+12'],
      ['0050-06-15', 'UTC'],
    ] as const) {
      expect((await alice.createTask({ due_date, time_zone })).due_date).to.equal(due_date);
    }
    for (const due_date of ['0001-01-01', '9999-12-31']) {
      expect(
        pointersOf(await alice.call('POST', '/tasks', { json: { title: 'x', due_date, time_zone: 'Asia/Tokyo' } })),
      ).to.deep.equal(['/due_date']);
    }
  });

  it('refuses zones that are not IANA zones', async () => {
    const alice = suite.newUser();
    for (const time_zone of ['system', 'local', 'UTC+3', 'Mars/Base']) {
      expect(
        pointersOf(await alice.call('POST', '/tasks', { json: { title: 'x', due_date: '2026-12-01', time_zone } })),
        time_zone,
      ).to.deep.equal(['/time_zone']);
    }
  });

  it('names only the zone when a zone is unknown, without judging an until against the host zone', async () => {
    const alice = suite.newUser();
    // 21:40 at -03:29 is the next day in UTC: read in the host's zone, the until would look early.
    const recurrence = { frequency: 'weekly', until: '5370-02-19' };
    for (const time_zone of ['system', 'local', 'Mars/Base']) {
      const body = { title: 'x', due_at: '5370-02-19T21:40:30-03:29', time_zone, recurrence };
      expect(pointersOf(await alice.call('POST', '/tasks', { json: body })), time_zone).to.deep.equal(['/time_zone']);
    }
  });

  it('keeps tags typed with composed or decomposed accents as one tag', async () => {
    const task = await suite.newUser().createTask({ tags: ['caf\u00e9', 'cafe\u0301', 'CAFE\u0301'] });
    expect(task.tags).to.deep.equal(['caf\u00e9']);
  });

  for (const due_at of ['2026-12-01 17:00:00Z', '2026-12-01t17:00:00+0100', '2026-12-31T23:59:60Z']) {
    it(`continues a daily series whose due is written ${due_at}`, async () => {
      const alice = suite.newUser();
      const first = await alice.createTask({
        due_at,
        time_zone: 'UTC',
        recurrence: { frequency: 'daily', until: '2027-01-10' },
      });
      expect(first.due_at).to.equal(due_at);
      const next = await completeAndGetNext(alice, first.id);
      expect(next?.due_at).to.match(/^202[67]-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });
  }

  it('refuses an until before a due written with a space', async () => {
    const alice = suite.newUser();
    const response = await alice.call('POST', '/tasks', {
      json: {
        title: 'x',
        due_at: '2026-12-01 17:00:00Z',
        time_zone: 'UTC',
        recurrence: { frequency: 'daily', until: '2020-01-01' },
      },
    });
    expect(pointersOf(response)).to.deep.equal(['/recurrence/until']);
  });

  it('ends a series at the last storable day instead of refusing the completion', async () => {
    const alice = suite.newUser();
    const dated = await alice.createTask({ due_date: '9999-12-30', recurrence: { frequency: 'daily' } });
    expect(await completeAndGetNext(alice, dated.id)).to.equal(null);
    const timed = await alice.createTask({
      due_at: '9999-12-30T20:00:00-05:00',
      time_zone: 'America/New_York',
      recurrence: { frequency: 'daily' },
    });
    expect(await completeAndGetNext(alice, timed.id)).to.equal(null);
  });

  it('keeps the series going from its first due when an occurrence is replaced or patched with its own schedule', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({
      title: 'Rent',
      due_date: '2027-01-31',
      recurrence: { frequency: 'monthly' },
    });
    const february = (await completeAndGetNext(alice, first.id))!;
    expect(february.due_date).to.equal('2027-02-28');
    const replaced = await alice.call<Task>('PUT', `/tasks/${february.id}`, {
      json: {
        title: 'Rent (renamed)',
        description: null,
        completed: false,
        due_date: '2027-02-28',
        recurrence: { frequency: 'monthly' },
      },
    });
    expect(replaced.status).to.equal(200);
    await alice.call('PATCH', `/tasks/${february.id}`, { json: { due_date: '2027-02-28' } });
    expect((await completeAndGetNext(alice, february.id))?.due_date).to.equal('2027-03-31');
  });

  it('writes an audit line for the next occurrence a completion creates, by any route', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({ due_date: '2027-01-01', recurrence: { frequency: 'daily' } });
    const second = (await completeAndGetNext(alice, first.id))!;
    const third = (await alice.call<Task>('PATCH', `/tasks/${second.id}`, { json: { completed: true } })).body
      .next_occurrence_id;
    const bulk = await alice.call<{ results: { task: Task }[] }>('POST', '/tasks/bulk', {
      json: { actions: [{ op: 'complete', id: third, completed: true }] },
    });
    const fourth = bulk.body.results[0]!.task.next_occurrence_id;
    expect(auditTrail(suite, alice)).to.deep.equal([
      `task.create ${first.id}`,
      `task.complete ${first.id}`,
      `task.create ${second.id}`,
      `task.update ${second.id}`,
      `task.create ${third}`,
      `task.complete ${third}`,
      `task.create ${fourth}`,
    ]);
  });

  it('forgets a next occurrence that is deleted, and keeps the series id of a deleted first occurrence', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({ due_date: '2027-01-01', recurrence: { frequency: 'daily' } });
    const second = (await completeAndGetNext(alice, first.id))!;
    const third = (await completeAndGetNext(alice, second.id))!;
    expect((await alice.call('DELETE', `/tasks/${third.id}`)).status).to.equal(204);
    expect((await alice.call<Task>('GET', `/tasks/${second.id}`)).body.next_occurrence_id).to.equal(null);
    expect((await alice.call('DELETE', `/tasks/${first.id}`)).status).to.equal(204);
    expect((await alice.call<Task>('GET', `/tasks/${second.id}`)).body.series_id).to.equal(first.id);
  });

  it('pages through tasks due in the first centuries, sorted by due, without skipping or repeating', async () => {
    const alice = suite.newUser();
    const ids = [];
    for (const due_at of ['0050-06-01T00:00:00Z', '0099-01-01T00:00:00Z', '1999-01-01T00:00:00Z']) {
      ids.push((await alice.createTask({ due_at, time_zone: 'UTC' })).id);
    }
    for (const order of ['asc', 'desc']) {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `/tasks?sort=due&order=${order}&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await alice.call<{ items: Task[]; next_cursor: string | null }>('GET', query);
        expect(page.status).to.equal(200);
        seen.push(...page.body.items.map((task) => task.id));
        cursor = page.body.next_cursor;
      } while (cursor !== null && seen.length <= ids.length);
      expect(seen, order).to.deep.equal(order === 'asc' ? ids : [...ids].reverse());
    }
  });
});
