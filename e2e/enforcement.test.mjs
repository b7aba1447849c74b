// The officer's path of a penalty case (行政处罚案件) on a laptop: an
// inspector records a lead, the approver opens the case, the inspector
// departs from the discretion proposal with a reason, the party's period is
// waived, the approver decides, the inspector records delivery and payment;
// and a first violation (首违不罚) ending with 不予处罚 and education.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, base } from './phone.mjs';

const laptop = { width: 1280, height: 900 };

async function submit(page, button) {
  await Promise.all([page.waitForNavigation(), page.locator(button).click()]);
}

async function newLead(page, summary, facts) {
  await page.goto(base + '/enforcement/leads/new');
  await page.locator('#party_name').fill('云澜鲜果超市有限公司');
  await page.locator('#party_uscc').fill('91990102MA01EN001B');
  await page.locator('#matter_code').selectOption('SC-PRICE-001');
  await page.locator('#summary').fill(summary);
  await page.locator('#violation_on').fill('2026-11-20');
  for (const f of facts) await page.locator(`input[name="fact_${f}"]`).check();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '登记线索' }).click()]);
  return new URL(page.url()).pathname;
}

test('a penalty case from lead to closure, departing from the proposal with a reason', async () => {
  const insp = await open('inspector_scj', laptop);
  const boss = await open('approver_scj', laptop);
  const path = await newLead(insp.page, '门店多件商品未明码标价', []);
  assert.match(path, /^\/enforcement\/cases\/\d+$/, 'the lead was recorded: ' + path);
  await boss.page.goto(base + path);
  await submit(boss.page, '#btn-open');
  await insp.page.goto(base + path);
  await insp.page.locator('#proposal-level').waitFor();
  assert.equal(await insp.page.locator('#proposal-level').innerText(), '一般处罚');
  await insp.page.locator('#level').selectOption('lighter');
  await insp.page.locator('input[name="kinds"][value="罚款"]').check();
  await insp.page.locator('#fine_yuan').fill('500');
  await insp.page.locator('#departure_reason').fill('当事人当场改正并主动消除影响');
  await submit(insp.page, '#btn-intend');
  await insp.page.locator('#departure').waitFor();
  await insp.page.locator('form:has(#btn-to_decision) input[name="waived"]').check();
  await submit(insp.page, '#btn-to_decision');
  await boss.page.goto(base + path);
  await boss.page.locator('#departure').waitFor();
  await submit(boss.page, '#btn-decide');
  await insp.page.goto(base + path);
  await submit(insp.page, '#btn-delivered');
  await submit(insp.page, '#btn-paid');
  assert.match(await insp.page.locator('#case-status').innerText(), /已结案/);
  await insp.page.goto(base + path + '/documents/decision');
  await insp.page.getByText('未采纳系统裁量建议').waitFor();
  await insp.context.close();
  await boss.context.close();
});

test('a first violation ends with 不予处罚 and the education recorded', async () => {
  const insp = await open('inspector_scj', laptop);
  const boss = await open('approver_scj', laptop);
  const path = await newLead(insp.page, '个别商品价签缺失', ['first_violation', 'harm_slight', 'corrected_in_time']);
  await boss.page.goto(base + path);
  await submit(boss.page, '#btn-open');
  await insp.page.goto(base + path);
  assert.equal(await insp.page.locator('#proposal-level').innerText(), '不予处罚');
  await insp.page.locator('#level').selectOption('none');
  await insp.page.locator('#education').fill('当场宣讲明码标价规定，当事人签字确认并已改正');
  await submit(insp.page, '#btn-intend');
  await boss.page.goto(base + path);
  await submit(boss.page, '#btn-decide');
  await insp.page.goto(base + path);
  await submit(insp.page, '#btn-delivered');
  assert.match(await insp.page.locator('#case-status').innerText(), /已结案/);
  await insp.page.goto(base + path + '/documents/decision');
  await insp.page.getByText('不予行政处罚决定书').first().waitFor();
  await insp.page.getByText('当场宣讲明码标价规定').waitFor();
  await insp.context.close();
  await boss.context.close();
});
