// Phone width (390×844): the return-visit (satisfaction survey) page a
// citizen opens from an SMS. See phone.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, open, check, hrefs } from './phone.mjs';

test('a return visit (satisfaction survey) link fits a phone', async () => {
  // The operator's page of a closed order shows the link sent by SMS.
  const op = await open('operator', { width: 1280, height: 900 });
  await op.page.goto(base + '/hotline/visits');
  const orders = await hrefs(op.page, /^\/hotline\/orders\/\d+$/);
  let link;
  for (const o of orders) {
    await op.page.goto(base + o);
    const code = op.page.locator('code', { hasText: '/hotline/visit/' });
    if (await code.count()) { link = (await code.first().innerText()).trim(); break; }
  }
  await op.context.close();
  assert.ok(link, 'a closed order awaits its return visit');
  const { context, page } = await open('');
  await check(page, new URL(link, base).pathname, 'visit');
  await context.close();
});
