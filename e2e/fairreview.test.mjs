// Both paths of the fair-competition review (公平竞争审查, issue 10): a
// drafting unit (城管局, handler_cgj) registers a draft whose reward hangs on
// paying tax here (本区纳税); the screening flags it in place, the unit
// amends it, opens a comment period and self-reviews; the review office
// (handler_scj) gives its 会同审查 opinion, the legal department (legal_scj)
// re-reviews and allows it; the conclusion prints on A4; issuing a changed
// text is refused with the diff, the reviewed text is issued. A citizen on
// a phone comments during the comment period, reports the issued measure
// and follows the answer by the tracking link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, check, base } from './phone.mjs';

const laptop = { width: 1280, height: 900 };
const title = '临江区促进城市服务业发展奖励办法 ' + Date.now();
const draft = '第一条 为促进本区城市服务业发展，制定本办法。\n' +
  '第二条 对在本区纳税且年纳税额超过100万元的企业，给予一次性奖励20万元。\n' +
  '第三条 本办法自发布之日起施行。';
const revised = '第一条 为促进本区城市服务业发展，制定本办法。\n' +
  '第二条 对年营业收入增长超过20%的各类经营主体，平等给予一次性奖励20万元。\n' +
  '第三条 本办法自发布之日起施行。';

async function click(page, name) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
}

// shared carries the measure from one test to the next (they run in order).
const shared = {};

test('a draft with a local-tax clause is flagged in place, amended, and commented on by a citizen on a phone', async () => {
  const unit = await open('handler_cgj', laptop);
  const p = unit.page;
  // Register: the draft list, then the form.
  await p.goto(base + '/fair-review/measures');
  await Promise.all([p.waitForNavigation(), p.getByRole('link', { name: '登记政策措施草案' }).click()]);
  await p.locator('#kind').selectOption('政策措施');
  await p.locator('#title').fill(title);
  await p.locator('input[name="county_level"]').check();
  await p.locator('#body').fill(draft);
  await click(p, '登记并筛查');
  const path = new URL(p.url()).pathname;
  assert.match(path, /^\/fair-review\/measures\/\d+$/);
  // The clause is flagged in place with its article.
  const mark = p.locator('#fr-text mark').first();
  assert.match(await mark.innerText(), /本区纳税/);
  assert.match(await p.locator('#fr-findings').innerText(), /第十条第（二）项/);
  // Amend: screened again, nothing flagged.
  await p.locator('#amend_text').fill(revised);
  await click(p, '保存修改并重新筛查');
  assert.equal(await p.locator('#fr-text mark').count(), 0, 'the amended text is clean');
  // A comment period of 10 working days.
  await p.locator('#days').fill('10');
  await click(p, '开始征求意见');

  // A citizen on a phone comments.
  const citizen = await open('');
  const c = citizen.page;
  await check(c, '/fair-review/public', 'fr-public');
  await Promise.all([c.waitForNavigation(), c.locator('#open-list').getByRole('link', { name: title }).click()]);
  await check(c, '', 'fr-public-measure');
  await c.locator('#comment_body').fill('建议奖励条件不要与注册地挂钩，并公开评审标准。');
  await click(c, '提交意见');
  await c.locator('#comment-saved').waitFor();
  // A control character is refused and nothing is kept.
  await c.locator('#comment_body').fill('意见\u0007');
  const [refused] = await Promise.all([c.waitForNavigation(), c.getByRole('button', { name: '提交意见', exact: true }).click()]);
  assert.equal(refused.status(), 422);
  c.errors.length = 0; // the refusal's 422 is the point, not a fault

  shared.path = path;
  for (const x of [unit, citizen]) await x.context.close();
});

test('the unit self-reviews, the review office and the legal department review, the conclusion prints, a changed text is refused and the reviewed one issued', async () => {
  assert.ok(shared.path, 'the first test registered the draft');
  const path = shared.path;
  const unit = await open('handler_cgj', laptop);
  const p = unit.page;
  // Self-review: the comment is on record; every item has its reason.
  await p.goto(base + path);
  assert.match(await p.locator('.fr-comments').innerText(), /注册地/);
  await p.locator('#opinion').fill('经逐项对照审查，修改后的第二条对各类经营主体平等适用，不涉及排除、限制竞争。');
  await click(p, '提交自审，送会同审查');
  assert.equal(await p.locator('#fr-status').getAttribute('data-status'), 'joint_review');

  // The review office's queue shows it with its limit.
  const office = await open('handler_scj', laptop);
  const o = office.page;
  await o.goto(base + '/fair-review/queue');
  await Promise.all([o.waitForNavigation(), o.getByRole('link', { name: title }).click()]);
  await o.locator('#joint_opinion').fill('经会同审查，同意起草单位意见。');
  await click(o, '提交会同审查意见，送法制审核');

  // The legal department's re-review (双审制) allows it.
  const legal = await open('legal_scj', laptop);
  const l = legal.page;
  await l.goto(base + '/fair-review/queue');
  await Promise.all([l.waitForNavigation(), l.getByRole('link', { name: title }).click()]);
  await l.locator('#legal_opinion').fill('经法制审核，符合公平竞争审查标准。');
  await l.locator('#conclusion').selectOption('allow');
  await click(l, '出具审查结论');
  assert.equal(await l.locator('#fr-status').getAttribute('data-status'), 'concluded');

  // The printable conclusion: the page chrome is gone in print.
  await p.goto(base + path);
  await Promise.all([p.waitForNavigation(), p.locator('#print-link').click()]);
  assert.match(await p.locator('#fr-document').innerText(), /符合公平竞争审查标准，可以出台/);
  await p.emulateMedia({ media: 'print' });
  assert.equal(await p.locator('.site-header').isVisible(), false, 'the header is not printed');
  await p.emulateMedia({ media: 'screen' });

  // Issuing a text changed after review is refused with the diff.
  await p.goto(base + path);
  await p.locator('#issue_text').fill(revised + '\n第四条 注册地在本区的企业优先。');
  const [diff] = await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: '确认出台', exact: true }).click()]);
  assert.equal(diff.status(), 409);
  assert.match(await p.locator('#fr-diff').innerText(), /\+ 第四条/);
  await p.locator('#issue_text').fill(revised);
  await click(p, '确认出台');
  assert.equal(await p.locator('#fr-status').getAttribute('data-status'), 'issued');
  shared.issued = true;
  for (const x of [unit, office, legal]) await x.context.close();
});

test('a citizen on a phone reports the issued measure and follows the answer by its tracking link', async () => {
  assert.ok(shared.issued, 'the first test issued the measure');
  const citizen = await open('');
  const c = citizen.page;
  const office = await open('handler_scj', laptop);
  const o = office.page;
  // The citizen reports the issued measure and follows it by its link.
  await check(c, '/fair-review/public', 'fr-public-issued');
  await Promise.all([c.waitForNavigation(), c.locator('#issued-list').getByRole('link', { name: title }).click()]);
  await c.locator('#report_body').fill('第二条的奖励实际只面向本地大企业，请核查是否排除、限制竞争。');
  await c.locator('#phone').fill('13912345678');
  await click(c, '提交举报');
  await c.locator('#report-saved').waitFor();
  const link = await c.locator('#tracking-link').getAttribute('href');
  assert.match(link, /^\/fair-review\/track\/[0-9a-f]{32}$/);
  assert.doesNotMatch(await c.locator('main').innerText(), /13912345678/, 'the phone is masked');
  await check(c, link, 'fr-track');
  assert.match(await c.locator('#track-status').innerText(), /办理中/);

  // The review office answers; the citizen sees the answer.
  await o.goto(base + '/fair-review/reports');
  const row = o.locator('tr', { hasText: '只面向本地大企业' });
  await row.locator('textarea').fill('经核查，该条款对各类经营主体平等适用，不构成排除、限制竞争。');
  await Promise.all([o.waitForNavigation(), row.getByRole('button', { name: '答复' }).click()]);
  await check(c, link, 'fr-track-answered');
  assert.match(await c.locator('#track-answer').innerText(), /平等适用/);

  for (const x of [citizen, office]) await x.context.close();
});
