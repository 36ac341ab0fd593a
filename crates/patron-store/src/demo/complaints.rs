//! Demo complaints (METHOD §4): about one per [`CUSTOMERS_PER_COMPLAINT`] customers over the
//! last twelve months, product quality and delivery the most common causes, most of them
//! handled through all six steps and closed, and in every chunk a few still in hand — one
//! overdue (no first reply, recorded days before the demo's day), one recorded on the demo's
//! day, one acknowledged, one under investigation. Some were compensated (within the authority
//! of whoever approved it) and some carry a promise, kept or broken. The biggest buyers of each
//! chunk complained two or three times, so the `complaining` value list has customers on it
//! once the demo is classified.
//!
//! Written with the chunk (see [`crate::bulk::BulkComplaint`]) rather than through the store's
//! complaint methods: a million-customer demo has some 25,000 complaints, each a dozen writes
//! through the rules, where the chunk's bulk insert takes them in one pass.
//!
//! Deterministic like the rest of the demo: drawn from a stream of its own, derived from the
//! seed and the chunk number, so adding complaints changed no customer, order or interaction of
//! a seed; every instant hangs off `opts.today` (UTC), never the clock.

use super::names::Script;
use super::sample::{below, between, chance, mix, pick, weighted};
use super::{local_price, DemoPlan};
use crate::bulk::{BulkChunk, BulkCompensation, BulkComplaint, BulkEvent, BulkStep};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use patron_core::complaint::{
    reply_due_at, Cause, Channel, CompensationKind, ComplaintSettings, PromiseOutcome, Status,
    Step, DEFAULT_REPLY_HOURS,
};
use patron_core::promotion::Word;
use patron_core::{StaffLevel, UserId};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// About one complaint a year per this many customers.
pub const CUSTOMERS_PER_COMPLAINT: usize = 40;

/// One "big" repeat complainer per this many customers of a chunk (at least two a chunk).
const CUSTOMERS_PER_BIG_COMPLAINER: usize = 1_500;

/// Salt of the complaints' random stream (kept apart from the chunk's main stream).
const STREAM: u64 = 0xC0A1_A1B7_5EED_0004;

/// How far back complaints go.
const WINDOW_DAYS: i64 = 364;

const CAUSES: [(Cause, u32); 7] = [
    (Cause::ProductQuality, 30),
    (Cause::Delivery, 25),
    (Cause::ExpectationGap, 12),
    (Cause::StaffAttitude, 10),
    (Cause::Installation, 8),
    (Cause::Price, 8),
    (Cause::Other, 7),
];

const CHANNELS: [(Channel, u32); 7] = [
    (Channel::Call, 35),
    (Channel::Visit, 12),
    (Channel::Email, 15),
    (Channel::InStore, 12),
    (Channel::Hotline, 10),
    (Channel::Letter, 4),
    (Channel::WebForm, 12),
];

/// What the customer said, by cause and script.
#[rustfmt::skip]
fn summaries(cause: Cause, script: Script) -> &'static [&'static str] {
    use Cause::*;
    use Script::*;
    match (cause, script) {
        (ProductQuality, English) => &["Coffee beans tasted stale on arrival", "Grinder stopped working after a week"],
        (ProductQuality, Simplified) => &["咖啡豆到货时已经不新鲜", "磨豆机用了一周就坏了"],
        (ProductQuality, Traditional) => &["茶葉受潮結塊", "咖啡機蒸氣管漏水"],
        (ProductQuality, Korean) => &["원두 맛이 변했습니다", "그라인더가 일주일 만에 고장났습니다"],
        (Delivery, English) => &["Delivery came two days late", "Order arrived with broken cups"],
        (Delivery, Simplified) => &["送货晚了两天", "收到的货少了一箱"],
        (Delivery, Traditional) => &["送貨延遲三天", "收到的杯子破損"],
        (Delivery, Korean) => &["배송이 이틀 늦었습니다", "주문한 상품 일부가 누락되었습니다"],
        (ExpectationGap, English) => &["The blend is not what the tasting promised", "Expected free training with the machine"],
        (ExpectationGap, Simplified) => &["口味和试喝时不一样", "以为购买机器包含培训"],
        (ExpectationGap, Traditional) => &["口感與試飲時不同", "以為保固包含耗材"],
        (ExpectationGap, Korean) => &["시음 때와 맛이 다릅니다", "교육이 포함된 줄 알았습니다"],
        (StaffAttitude, English) => &["Sales rep did not return calls", "Driver was rude at the door"],
        (StaffAttitude, Simplified) => &["业务员不回电话", "送货员态度很差"],
        (StaffAttitude, Traditional) => &["業務人員態度冷淡", "客服電話一直無人接聽"],
        (StaffAttitude, Korean) => &["영업 담당자가 연락을 받지 않습니다", "배송 기사가 불친절했습니다"],
        (Installation, English) => &["Espresso machine installed without a water filter", "Installer left the counter damaged"],
        (Installation, Simplified) => &["咖啡机安装后一直漏水", "安装师傅没有调试就走了"],
        (Installation, Traditional) => &["安裝後機器無法正常出水", "安裝人員遲到兩小時"],
        (Installation, Korean) => &["설치 후 머신에서 물이 샙니다", "설치 기사가 시운전을 하지 않았습니다"],
        (Price, English) => &["Invoice price higher than quoted", "Charged twice for one order"],
        (Price, Simplified) => &["发票价格比报价高", "同一笔订单被扣了两次款"],
        (Price, Traditional) => &["發票金額與報價不符", "折扣沒有算進去"],
        (Price, Korean) => &["견적보다 청구 금액이 높습니다", "할인이 적용되지 않았습니다"],
        (Other, English) => &["Newsletter keeps arriving after unsubscribing", "Could not reach the shop on Sunday"],
        (Other, Simplified) => &["发票一直没有寄到", "会员积分没有记上"],
        (Other, Traditional) => &["會員點數沒有入帳", "發票一直沒有寄到"],
        (Other, Korean) => &["적립금이 누락되었습니다", "세금계산서를 받지 못했습니다"],
    }
}

/// More about it, now and then.
#[rustfmt::skip]
fn details(script: Script) -> &'static [&'static str] {
    match script {
        Script::English => &["Called twice before reaching someone.", "Sent photos by e-mail.", "Wants a call back from the manager."],
        Script::Simplified => &["客户已经打过两次电话。", "客户通过微信发来了照片。", "希望经理回电。"],
        Script::Traditional => &["客戶已來電兩次。", "客戶透過LINE傳來照片。", "希望主管回電。"],
        Script::Korean => &["두 번 전화한 끝에 연결되었습니다.", "사진을 이메일로 보냈습니다.", "매니저의 회신을 원합니다."],
    }
}

/// What the root cause turned out to be (the staff's note, in English).
fn root_cause_note(cause: Cause) -> &'static str {
    match cause {
        Cause::ProductQuality => "Batch stored too long at the warehouse",
        Cause::Delivery => "Carrier missed the slot; the order was not flagged as urgent",
        Cause::ExpectationGap => "What was promised at the sale was not written down",
        Cause::StaffAttitude => "Calls went to a rep on leave with no one covering",
        Cause::Installation => "Installer had no checklist for this model",
        Cause::Price => "Old price list still in the invoicing system",
        Cause::Other => "Customer record was out of date",
    }
}

/// What was done about it.
fn solution_note(cause: Cause) -> &'static str {
    match cause {
        Cause::ProductQuality => "Replaced the goods and checked the rest of the batch",
        Cause::Delivery => "Re-sent the missing items by courier",
        Cause::ExpectationGap => "Offered a tasting session and a written summary of terms",
        Cause::StaffAttitude => "Manager apologised in person; calls now have a stand-in",
        Cause::Installation => "Technician returned and finished the commissioning",
        Cause::Price => "Issued a corrected invoice",
        Cause::Other => "Corrected the record and confirmed by e-mail",
    }
}

/// The promise made while it was being solved.
fn promise_text(cause: Cause) -> &'static str {
    match cause {
        Cause::ProductQuality => "Replacement delivered within the week",
        Cause::Delivery => "Next three deliveries in the agreed morning window",
        Cause::ExpectationGap => "Written terms sent before the next order",
        Cause::StaffAttitude => "A call back from the business manager",
        Cause::Installation => "Technician back to finish within two days",
        Cause::Price => "Corrected invoice within three working days",
        Cause::Other => "Confirmation by e-mail once corrected",
    }
}

/// Whether compensation fits the cause, and of what kind.
fn compensation_kind(rng: &mut ChaCha8Rng, cause: Cause) -> Option<CompensationKind> {
    use CompensationKind::*;
    Some(match cause {
        Cause::ProductQuality => *pick(rng, &[Replacement, Replacement, Refund]),
        Cause::Delivery => *pick(rng, &[Discount, Gift]),
        Cause::Installation => Repair,
        Cause::StaffAttitude => Gift,
        Cause::Price => *pick(rng, &[Credit, Discount]),
        Cause::ExpectationGap => Discount,
        Cause::Other => return None,
    })
}

/// How far a complaint got, chosen so every state shows in every chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    /// Recorded some time in the last year, handled as far as the demo's day allows.
    History,
    /// Recorded in the last month, handled as far as the demo's day allows.
    Recent,
    /// Recorded days ago, never replied to.
    Overdue,
    /// Recorded on the demo's day.
    Fresh,
    /// Replied to, nothing more yet.
    Acknowledged,
    /// Replied to and being looked into.
    Investigating,
}

/// A buyer of the last year who may complain.
struct Candidate {
    customer: usize,
    revenue: i64,
    /// Their orders in the chunk, `(index, day)` in day order.
    orders: Vec<(usize, NaiveDate)>,
    /// Their first key person, if any.
    key_person: Option<usize>,
    owner: Option<UserId>,
    manager: Option<UserId>,
    script: Script,
}

fn at(day: NaiveDate, minutes: u32) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + Duration::minutes(i64::from(minutes))
}

/// Builds a chunk's complaints from what the chunk holds; `scripts` are its customers' scripts.
pub(super) fn generate(
    plan: &DemoPlan,
    k: u64,
    chunk: &BulkChunk,
    scripts: &[Script],
) -> Vec<BulkComplaint> {
    let n = chunk.customers.len();
    let today = plan.opts.today;
    let from = today - Duration::days(WINDOW_DAYS);
    let mut rng = ChaCha8Rng::seed_from_u64(mix(plan.opts.seed ^ STREAM, k));

    // Buyers of the last year, with their orders and first key person.
    let mut cands: Vec<Candidate> = Vec::new();
    let mut o = 0;
    let mut kp = 0;
    for i in 0..n {
        let mut orders = Vec::new();
        let mut revenue = 0;
        while let Some(b) = chunk.orders.get(o).filter(|b| b.customer == i) {
            orders.push((o, b.order.order_date));
            if b.order.order_date > from {
                revenue += b.order.total_minor;
            }
            o += 1;
        }
        while chunk.key_persons.get(kp).is_some_and(|(c, _)| *c < i) {
            kp += 1;
        }
        let key_person = chunk
            .key_persons
            .get(kp)
            .filter(|(c, _)| *c == i)
            .map(|_| kp);
        if revenue == 0 {
            continue;
        }
        let owner = chunk.customers[i].input.owner_id;
        let manager = plan
            .reps
            .iter()
            .find(|r| Some(r.id) == owner)
            .and_then(|r| r.manager);
        cands.push(Candidate {
            customer: i,
            revenue,
            orders,
            key_person,
            owner,
            manager,
            script: scripts.get(i).copied().unwrap_or(Script::English),
        });
    }
    if cands.is_empty() {
        return Vec::new();
    }

    // The biggest buyers complain two or three times; others once.
    let mut by_revenue: Vec<usize> = (0..cands.len()).collect();
    by_revenue.sort_by(|&a, &b| {
        cands[b]
            .revenue
            .cmp(&cands[a].revenue)
            .then(cands[a].customer.cmp(&cands[b].customer))
    });
    let bigs = (n / CUSTOMERS_PER_BIG_COMPLAINER).max(2).min(cands.len());
    let mut todo: Vec<(usize, Scenario)> = Vec::new();
    for &c in &by_revenue[..bigs] {
        for _ in 0..2 + usize::from(chance(&mut rng, 0.4)) {
            todo.push((c, Scenario::History));
        }
    }
    let fixed = [
        Scenario::Overdue,
        Scenario::Fresh,
        Scenario::Acknowledged,
        Scenario::Investigating,
    ];
    // The rate counts the complaints of the past; the four in hand come on top, so a small
    // demo still has mostly closed ones.
    let target = (n + CUSTOMERS_PER_COMPLAINT / 2) / CUSTOMERS_PER_COMPLAINT;
    let mut others: Vec<usize> = by_revenue[bigs..].to_vec();
    let want = (target.saturating_sub(todo.len()) + fixed.len()).min(others.len());
    // The first `want` of a partial shuffle: distinct customers, drawn evenly.
    for j in 0..want {
        let r = j + below(&mut rng, others.len() - j);
        others.swap(j, r);
        let scenario = match fixed.get(j) {
            Some(s) => *s,
            None if chance(&mut rng, 0.15) => Scenario::Recent,
            None => Scenario::History,
        };
        todo.push((others[j], scenario));
    }

    let cutoff = at(today, 0);
    let settings = ComplaintSettings::default();
    todo.into_iter()
        .map(|(c, scenario)| complaint(&mut rng, plan, &settings, &cands[c], scenario, cutoff))
        .collect()
}

/// One complaint of `c` and its history up to `cutoff` (the start of the demo's day).
fn complaint(
    rng: &mut ChaCha8Rng,
    plan: &DemoPlan,
    settings: &ComplaintSettings,
    c: &Candidate,
    scenario: Scenario,
    cutoff: DateTime<Utc>,
) -> BulkComplaint {
    let today = plan.opts.today;
    let first_day = c
        .orders
        .iter()
        .map(|o| o.1)
        .find(|d| *d > today - Duration::days(WINDOW_DAYS))
        .unwrap_or(today - Duration::days(WINDOW_DAYS));
    let days_back = |rng: &mut ChaCha8Rng, lo: u32, hi: u32| {
        today - Duration::days(i64::from(between(rng, lo, hi.max(lo))))
    };
    let recorded_at = match scenario {
        Scenario::History => {
            let span = (today - first_day).num_days().clamp(1, WINDOW_DAYS) as u32;
            at(days_back(rng, 1, span), between(rng, 8 * 60, 18 * 60))
        }
        Scenario::Recent => at(days_back(rng, 1, 30), between(rng, 8 * 60, 18 * 60)),
        Scenario::Overdue => at(days_back(rng, 2, 4), between(rng, 8 * 60, 18 * 60)),
        // Just after the demo's day began, so the reply is still due when the demo is shown.
        Scenario::Fresh => at(today, between(rng, 0, 59)),
        Scenario::Acknowledged => at(days_back(rng, 1, 3), between(rng, 8 * 60, 18 * 60)),
        Scenario::Investigating => at(days_back(rng, 4, 10), between(rng, 8 * 60, 18 * 60)),
    };
    let cause = CAUSES[weighted(rng, &CAUSES.map(|x| x.1))].0;
    let channel = CHANNELS[weighted(rng, &CHANNELS.map(|x| x.1))].0;
    let owner = c.owner;
    let recorded_by = match (channel, c.manager) {
        // The customer's own form is recorded by nobody.
        (Channel::WebForm, _) => None,
        (_, Some(m)) if chance(rng, 0.15) => Some(m),
        _ => owner,
    };
    let summary = (*pick(rng, summaries(cause, c.script))).to_owned();
    let details = chance(rng, 0.35).then(|| (*pick(rng, details(c.script))).to_owned());
    let order = matches!(
        cause,
        Cause::ProductQuality | Cause::Delivery | Cause::Installation | Cause::Price
    )
    .then(|| {
        c.orders
            .iter()
            .rev()
            .find(|o| o.1 <= recorded_at.date_naive())
            .map(|o| o.0)
    })
    .flatten()
    .filter(|_| chance(rng, 0.75));
    let key_person = c.key_person.filter(|_| chance(rng, 0.6));

    // The history, as far as it got by `cutoff`.
    let late = chance(rng, 0.08);
    let reply = recorded_at
        + Duration::minutes(i64::from(if late {
            between(rng, 25 * 60, 50 * 60)
        } else {
            between(rng, 20, 20 * 60)
        }));
    let root = reply + Duration::minutes(i64::from(between(rng, 12 * 60, 3 * 24 * 60)));
    let solve = root + Duration::minutes(i64::from(between(rng, 6 * 60, 6 * 24 * 60)));
    let follow = solve + Duration::minutes(i64::from(between(rng, 5 * 24 * 60, 14 * 24 * 60)));
    let record = follow + Duration::minutes(i64::from(between(rng, 10, 2 * 24 * 60)));
    let close = record + Duration::minutes(i64::from(between(rng, 5, 120)));
    // A few are solved and never followed up.
    let stalled = chance(rng, 0.05);
    // How far it got: 0 nothing, 1 replied, 2 cause found, 3 solved, 4 followed up, 5 closed.
    let reached = |t: DateTime<Utc>| t < cutoff;
    let stage = match scenario {
        Scenario::Overdue | Scenario::Fresh => 0,
        Scenario::Acknowledged => 1,
        Scenario::Investigating => 2,
        Scenario::History | Scenario::Recent => {
            let mut s = 0;
            for (t, next) in [(reply, 1), (root, 2), (solve, 3), (follow, 4), (close, 5)] {
                if !reached(t) || (stalled && next > 3) {
                    break;
                }
                s = next;
            }
            s
        }
    };
    // The scenarios that stop early keep their replies before the cutoff.
    let reply = if stage >= 1 && !reached(reply) {
        recorded_at + (cutoff - recorded_at) / 2
    } else {
        reply
    };
    let root = if stage >= 2 && !reached(root) {
        reply + (cutoff - reply) / 2
    } else {
        root
    };

    let mut steps: Vec<BulkStep> = Vec::new();
    let mut events: Vec<BulkEvent> = Vec::new();
    let event = |events: &mut Vec<BulkEvent>,
                 t: DateTime<Utc>,
                 who: Option<UserId>,
                 action: &str,
                 detail: Option<String>| {
        events.push(BulkEvent {
            at: t,
            user_id: who,
            action: action.to_owned(),
            detail,
        })
    };
    let tick = |steps: &mut Vec<BulkStep>,
                events: &mut Vec<BulkEvent>,
                step: Step,
                t: DateTime<Utc>,
                who: Option<UserId>,
                note: Option<&str>| {
        steps.push(BulkStep {
            step,
            done_by: who,
            done_at: t,
            note: note.map(str::to_owned),
        });
        let what = match note {
            Some(n) => format!("{}: {n}", step.as_str()),
            None => step.as_str().to_owned(),
        };
        event(events, t, who, "step", Some(what));
    };
    event(
        &mut events,
        recorded_at,
        recorded_by,
        "recorded",
        Some(channel.as_str().to_owned()),
    );
    let mut status = Status::Open;
    let mut moved = |events: &mut Vec<BulkEvent>, to: Status, t: DateTime<Utc>, who| {
        status = to;
        event(events, t, who, "status", Some(to.as_str().to_owned()));
    };
    if stage >= 1 {
        tick(&mut steps, &mut events, Step::Listen, reply, owner, None);
        event(&mut events, reply, owner, "first_reply", None);
        if stage >= 2 || chance(rng, 0.6) {
            let sorry = reply + Duration::minutes(i64::from(between(rng, 1, 20)));
            tick(&mut steps, &mut events, Step::Apologise, sorry, owner, None);
        }
        moved(&mut events, Status::Acknowledged, reply, owner);
    }
    if stage >= 2 {
        if scenario != Scenario::Investigating || chance(rng, 0.5) {
            let note = chance(rng, 0.6).then(|| root_cause_note(cause));
            tick(&mut steps, &mut events, Step::RootCause, root, owner, note);
        }
        moved(&mut events, Status::Investigating, root, owner);
    }
    let mut promise = None;
    let mut promise_due = None;
    let mut promise_outcome = None;
    if stage >= 2 && chance(rng, 0.4) {
        let text = promise_text(cause);
        let due = root.date_naive() + Duration::days(i64::from(between(rng, 2, 7)));
        event(&mut events, root, owner, "promise", Some(text.to_owned()));
        if due < today {
            let outcome = if chance(rng, 0.85) {
                PromiseOutcome::Kept
            } else {
                PromiseOutcome::Broken
            };
            event(
                &mut events,
                at(due, 17 * 60),
                owner,
                "promise",
                Some(format!("{}: {text}", outcome.as_str())),
            );
            promise_outcome = Some(outcome);
        }
        promise = Some(text.to_owned());
        promise_due = Some(due);
    }
    let mut compensations = Vec::new();
    if stage >= 3 {
        let note = chance(rng, 0.6).then(|| solution_note(cause));
        tick(&mut steps, &mut events, Step::Solve, solve, owner, note);
        moved(&mut events, Status::Resolved, solve, owner);
        if let Some(kind) = compensation_kind(rng, cause).filter(|_| chance(rng, 0.35)) {
            let p = compensation(rng, plan, settings, c, kind, solve);
            let detail = format!(
                "{} {} {}",
                kind.as_str(),
                patron_core::money::format_minor(p.amount_minor, &plan.opts.currency),
                p.currency
            );
            event(
                &mut events,
                solve,
                p.approved_by,
                "compensation",
                Some(detail),
            );
            compensations.push(p);
        }
    }
    if stage >= 4 {
        let who = match c.manager {
            Some(m) if chance(rng, 0.3) => Some(m),
            _ => owner,
        };
        tick(&mut steps, &mut events, Step::FollowUp, follow, who, None);
        moved(&mut events, Status::FollowedUp, follow, who);
    }
    let mut closed_at = None;
    if stage >= 5 {
        tick(&mut steps, &mut events, Step::Record, record, owner, None);
        moved(&mut events, Status::Closed, close, owner);
        closed_at = Some(close);
    }
    // In time order (stable: what happened at one instant keeps the order it was written in).
    events.sort_by_key(|e| e.at);
    let updated_at = events.last().map_or(recorded_at, |e| e.at);
    BulkComplaint {
        customer: c.customer,
        key_person,
        order,
        channel,
        cause,
        summary,
        details,
        status,
        owner_id: owner,
        recorded_by,
        recorded_at,
        reply_due_at: reply_due_at(recorded_at, DEFAULT_REPLY_HOURS),
        first_reply_at: (stage >= 1).then_some(reply),
        first_reply_by: if stage >= 1 { owner } else { None },
        promise,
        promise_due,
        promise_outcome,
        closed_at,
        updated_at,
        steps,
        compensations,
        events,
    }
}

/// Compensation approved by whoever may give it: the representative within their limit, else
/// their business manager, capped at the manager's limit (the demo's staff go no higher).
fn compensation(
    rng: &mut ChaCha8Rng,
    plan: &DemoPlan,
    settings: &ComplaintSettings,
    c: &Candidate,
    kind: CompensationKind,
    t: DateTime<Utc>,
) -> BulkCompensation {
    let cents = if chance(rng, 0.8) {
        i64::from(between(rng, 2, 36)) * 500
    } else {
        i64::from(between(rng, 5, 30)) * 5_000
    };
    let mut amount = local_price(cents, &plan.opts.currency);
    let rep = settings.limit_for(StaffLevel::SalesRepresentative);
    let manager = settings.limit_for(StaffLevel::BusinessManager);
    let approved_by = if rep.allows(amount) || c.manager.is_none() {
        if let patron_core::complaint::Limit::UpTo(m) = rep {
            amount = amount.min(m);
        }
        c.owner
    } else {
        if let patron_core::complaint::Limit::UpTo(m) = manager {
            amount = amount.min(m);
        }
        c.manager
    };
    BulkCompensation {
        kind,
        amount_minor: amount,
        currency: plan.opts.currency.as_str().to_owned(),
        approved_by,
        approved_at: t,
        note: chance(rng, 0.3).then(|| "With our apologies for the trouble".to_owned()),
    }
}
