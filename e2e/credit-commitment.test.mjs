// Issue 8, 信用核查 before a decision (see credit.test.mjs): a window
// clerk's application with 告知承诺 for a business on the serious list is
// refused, the reason on the page. Setup that is history rather than work
// (a business listed as abnormal more than three years ago, as a city
// loading its history would) goes through the documented API,
// POST /api/v1/credit/abnormal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, base } from './phone.mjs';
import { laptop, tag, builder, day } from './credit.mjs';

test('告知承诺 is refused to a business on the serious list, with the reason on the page', async () => {
  const officer = await open('handler_scj', laptop);
  // History: listed as abnormal more than three years ago and never
  // removed, so on the serious list today.
  const resp = await officer.page.request.post(base + '/api/v1/credit/abnormal', {
    headers: { Origin: base }, data: { uscc: builder, reason: 'annual_report', listed_on: day(-3 * 365 - 40) },
  });
  assert.equal(resp.status(), 201, await resp.text());
  await officer.page.goto(base + `/credit/entities/${builder}`);
  await officer.page.getByText('严重违法失信名单').first().waitFor();
  await officer.context.close();

  const { context, page } = await open('clerk_lj', laptop);
  await page.goto(base + '/apply/990102-XK-002');
  await page.locator('#applicant_kind').selectOption('enterprise');
  await page.locator('#applicant_name').fill(`云澜筑城${tag}建材有限公司`);
  await page.locator('#applicant_uscc').fill(builder);
  await page.locator('#f_area').fill('80');
  await page.locator('input[name="f_items"]').first().check();
  await page.locator('#f_format').selectOption('食品销售经营者');
  await page.locator('#f_staff_count').fill('6');
  await page.locator('#f_uscc').fill(builder);
  for (const n of [0, 5]) {
    await page.locator(`#file_${n}`).setInputFiles({ name: `m${n}.pdf`, mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
  }
  await page.locator('input[name="commit_3"]').check();
  await page.locator('input[name="commit_4"]').check();
  await page.locator('input[name="sign"]').check();
  await page.locator('#signer').fill('吴亮');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '提交申请' }).click()]);
  const alert = await page.locator('.alert').first().innerText();
  assert.match(alert + (await page.locator('main').innerText()), /严重违法失信名单/, 'the refusal names the serious list');
  assert.doesNotMatch(new URL(page.url()).pathname, /^\/applications\/\d+$/, 'nothing was submitted');
  await context.close();
});
