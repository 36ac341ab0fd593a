//! The demo data generator: a realistic, seeded customer archive — staff, products, customers
//! with key persons, three years of orders and the contact history — written through the
//! [`Store`] trait, so it fills SQLite and PostgreSQL alike.
//!
//! Why it looks the way it does:
//!
//! * **Deterministic.** Everything comes from `opts.seed`: chunk `k` draws from a ChaCha stream
//!   derived from `(seed, k)`, never from the wall clock or a thread RNG. Same options on a
//!   fresh database give the same ids, names, dates and amounts on both backends, which makes
//!   screenshots, docs and bug reports reproducible.
//! * **Bounded memory at any size.** Customers are generated and inserted [`CHUNK_CUSTOMERS`]
//!   at a time together with their key persons, orders and interactions; a million customers
//!   and ten million orders never sit in memory together. The next chunk is generated on a
//!   blocking thread while the database writes the current one.
//! * **Analytics have something to find.** Repeat buying follows the BG/NBD story: each buyer
//!   has a purchase rate λ (Gamma across customers) and, after every purchase, a dropout
//!   probability p (Beta across customers), so there are loyal regulars, many one-off buyers and
//!   customers who silently lapse. Spend per order varies by customer (Gamma), organisations buy
//!   wholesale quantities, and customers favour one or two product lines — so ABC analysis,
//!   churn models and "narrow buyer" lists give meaningful answers.
//! * **Hits the requested order count.** Each chunk gets its share of `opts.orders`, and a common
//!   scale on all purchase rates is found by bisection. Every customer's purchase process replays
//!   from its own seed, so the count grows monotonically with the scale and the search lands
//!   within 0.1% of the target (each buying customer has at least one order, so targets below
//!   the number of buyers are exceeded).

mod after_sales;
mod complaints;
pub mod key_accounts;
mod names;
mod plans;
mod promotions;
mod sample;
mod surveys;
mod touch;

use crate::bulk::{BulkChunk, BulkOrder};
use crate::error::{StoreError, StoreResult};
use crate::store::Store;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use names::{OrgKind, Script};
use patron_core::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sample::{below, between, chance, pick, weighted, SplitMix};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Customers generated and inserted per [`Store::bulk_insert`] call. Fixed (not derived from
/// the run's size) because chunk boundaries decide which random stream a customer is drawn
/// from: changing it would change the data of a seed.
pub const CHUNK_CUSTOMERS: u64 = 5_000;

/// Length of the order history that ends at `opts.today`.
pub const HISTORY_MONTHS: u32 = 36;

/// The e-mail domain of the demo staff; generating twice into one database is refused by
/// looking for the administrator's address.
pub const STAFF_DOMAIN: &str = "demo.patron.example";

/// An upper bound on one customer's orders over the history (about one every three days), so a
/// single extreme draw cannot swallow a chunk's order budget.
const MAX_ORDERS_PER_CUSTOMER: u32 = 400;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoOptions {
    pub seed: u64,
    pub customers: u64,
    /// Target number of orders over the whole history.
    pub orders: u64,
    /// The last day of the three-year history (the caller passes today's date; the generator
    /// never reads the clock).
    pub today: NaiveDate,
    /// Currency of products and orders; prices are converted to plausible local amounts.
    pub currency: Currency,
}

impl DemoOptions {
    pub const DEFAULT_SEED: u64 = 42;
    pub const DEFAULT_CUSTOMERS: u64 = 300;
    /// Orders per customer the defaults aim for (about 3,000 for 300 customers).
    pub const ORDERS_PER_CUSTOMER: u64 = 10;

    /// The default demo (seed 42, 300 customers, about 3,000 orders) ending at `today`.
    pub fn new(today: NaiveDate) -> Self {
        Self {
            seed: Self::DEFAULT_SEED,
            customers: Self::DEFAULT_CUSTOMERS,
            orders: Self::DEFAULT_CUSTOMERS * Self::ORDERS_PER_CUSTOMER,
            today,
            currency: Currency::default(),
        }
    }

    /// Sets the number of customers and the matching default order target (10 per customer).
    pub fn with_customers(mut self, customers: u64) -> Self {
        self.customers = customers;
        self.orders = customers.saturating_mul(Self::ORDERS_PER_CUSTOMER);
        self
    }
}

/// Progress after each written chunk, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DemoProgress {
    pub customers: u64,
    pub customers_total: u64,
    pub orders: u64,
    pub orders_target: u64,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoReport {
    pub users: Vec<User>,
    pub products: u64,
    pub customers: u64,
    pub key_persons: u64,
    pub orders: u64,
    pub interactions: u64,
    /// Complaints of the last twelve months (METHOD §4).
    pub complaints: u64,
}

// ---------------------------------------------------------------------------------------------
// Staff and catalogue
// ---------------------------------------------------------------------------------------------

/// One member of the demo staff; `manager` is an index into [`staff`].
#[derive(Debug, Clone, Copy)]
pub struct StaffSpec {
    pub local: &'static str,
    pub name: &'static str,
    pub level: StaffLevel,
    pub manager: Option<usize>,
}

/// The demo company's staff (METHOD §0): an administrator, a general manager, a marketing
/// director, two business managers and six sales representatives split between them.
pub fn staff() -> &'static [StaffSpec] {
    use StaffLevel::*;
    #[rustfmt::skip]
    const S: &[StaffSpec] = &[
        StaffSpec { local: "admin", name: "Alex Morgan", level: Administrator, manager: None },
        StaffSpec { local: "gm", name: "王建国", level: GeneralManager, manager: None },
        StaffSpec { local: "marketing", name: "이수진", level: MarketingDirector, manager: None },
        StaffSpec { local: "manager1", name: "Sarah Chen", level: BusinessManager, manager: None },
        StaffSpec { local: "manager2", name: "박성호", level: BusinessManager, manager: None },
        StaffSpec { local: "rep1", name: "李娜", level: SalesRepresentative, manager: Some(3) },
        StaffSpec { local: "rep2", name: "Daniel Brooks", level: SalesRepresentative, manager: Some(3) },
        StaffSpec { local: "rep3", name: "林志明", level: SalesRepresentative, manager: Some(3) },
        StaffSpec { local: "rep4", name: "김지현", level: SalesRepresentative, manager: Some(4) },
        StaffSpec { local: "rep5", name: "최민호", level: SalesRepresentative, manager: Some(4) },
        StaffSpec { local: "rep6", name: "Olivia Park", level: SalesRepresentative, manager: Some(4) },
    ];
    S
}

/// The product lines, in catalogue order; order lines carry these names.
pub const PRODUCT_LINES: [&str; 6] = [
    "Coffee",
    "Tea",
    "Equipment",
    "Accessories",
    "Pastry",
    "Services",
];
const COFFEE: usize = 0;
const TEA: usize = 1;
const EQUIPMENT: usize = 2;
const ACCESSORIES: usize = 3;
const PASTRY: usize = 4;
const SERVICES: usize = 5;

/// (name, product line index, price in US cents)
#[rustfmt::skip]
const CATALOGUE: &[(&str, usize, i64)] = &[
    ("House Blend Coffee Beans 1kg", COFFEE, 2400),
    ("Espresso Roast 1kg", COFFEE, 2600),
    ("Ethiopia Yirgacheffe 500g", COFFEE, 1800),
    ("Colombia Supremo 1kg", COFFEE, 2300),
    ("云南小粒咖啡 Yunnan Arabica 500g", COFFEE, 1500),
    ("Decaf Swiss Water 500g", COFFEE, 1700),
    ("Cold Brew Pack (10)", COFFEE, 1200),
    ("드립백 Drip Bags (20)", COFFEE, 1400),
    ("龙井茶 Longjing 250g", TEA, 3200),
    ("铁观音 Tieguanyin 250g", TEA, 2600),
    ("阿里山烏龍 Alishan Oolong 150g", TEA, 2800),
    ("제주 녹차 Jeju Green Tea 100g", TEA, 1600),
    ("Earl Grey (100 bags)", TEA, 900),
    ("普洱茶饼 Pu'er Cake 357g", TEA, 4500),
    ("抹茶 Matcha Powder 100g", TEA, 1900),
    ("유자차 Yuja Tea 1kg", TEA, 1300),
    ("Espresso Machine, 2 groups", EQUIPMENT, 480_000),
    ("Espresso Machine, home", EQUIPMENT, 69_900),
    ("Commercial Burr Grinder", EQUIPMENT, 129_000),
    ("Home Burr Grinder", EQUIPMENT, 19_900),
    ("Cold Brew Tower", EQUIPMENT, 34_900),
    ("净水器 Water Filter System", EQUIPMENT, 45_000),
    ("Milk Frother", EQUIPMENT, 8_900),
    ("Paper Cups 12oz (1000)", ACCESSORIES, 8500),
    ("Cup Lids 12oz (1000)", ACCESSORIES, 4200),
    ("Tamper 58mm", ACCESSORIES, 3900),
    ("Milk Pitcher 600ml", ACCESSORIES, 1800),
    ("手冲壶 Pour-over Kettle", ACCESSORIES, 4500),
    ("머그컵 Ceramic Mug", ACCESSORIES, 1200),
    ("Filter Papers (100)", ACCESSORIES, 600),
    ("礼盒 Gift Box", ACCESSORIES, 2500),
    ("Croissants (box of 12)", PASTRY, 1800),
    ("蛋挞 Egg Tarts (12)", PASTRY, 1500),
    ("鳳梨酥 Pineapple Cakes (10)", PASTRY, 2200),
    ("카스텔라 Castella", PASTRY, 1400),
    ("Muffin Assortment (12)", PASTRY, 1900),
    ("月饼礼盒 Mooncake Gift Set", PASTRY, 3800),
    ("咖啡师培训 Barista Training (1 day)", SERVICES, 35_000),
    ("Machine Maintenance Visit", SERVICES, 12_000),
    ("설치 Installation & Commissioning", SERVICES, 25_000),
    ("Annual Service Contract", SERVICES, 90_000),
    ("Latte Art Workshop", SERVICES, 8_000),
];

/// Converts a price in US cents to minor units of `currency` at a rough, fixed rate, so a
/// demo in won or yuan shows familiar-looking prices. Unknown currencies keep the numbers.
fn local_price(cents: i64, currency: &Currency) -> i64 {
    let (num, den) = match currency.as_str() {
        "CNY" => (7, 1),
        "KRW" => (13, 1),
        "JPY" => (3, 2),
        "TWD" => (32, 1),
        "HKD" => (8, 1),
        _ => match currency.minor_digits() {
            3 => (10, 1),
            _ => (1, 1),
        },
    };
    let v = cents * num / den;
    // Round to a price a shop would print: two significant-ish trailing zeros for big numbers.
    if v >= 100_000 {
        (v + 500) / 1000 * 1000
    } else if v >= 10_000 {
        (v + 50) / 100 * 100
    } else {
        v
    }
}

/// The demo catalogue (about 40 products in six lines) priced in `currency`.
pub fn catalogue(currency: &Currency) -> Vec<ProductInput> {
    CATALOGUE
        .iter()
        .enumerate()
        .map(|(i, &(name, line, cents))| ProductInput {
            external_ref: Some(format!("P{:04}", i + 1)),
            name: name.to_owned(),
            product_line: Some(PRODUCT_LINES[line].to_owned()),
            unit_price_minor: Some(local_price(cents, currency)),
            currency: Some(currency.clone()),
            active: Some(true),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The plan: everything a chunk needs, shared by all chunks
// ---------------------------------------------------------------------------------------------

/// A sales representative customers can be assigned to.
#[derive(Debug, Clone, Copy)]
pub struct DemoRep {
    pub id: UserId,
    pub manager: Option<UserId>,
}

/// A product as order lines use it.
#[derive(Debug, Clone, Copy)]
pub struct DemoProduct {
    pub id: ProductId,
    /// Index into [`PRODUCT_LINES`].
    pub line: usize,
    pub unit_price_minor: i64,
}

/// The fixed inputs of a run: options, the reps to own customers and the products to order.
/// [`generate_chunk`] is a pure function of a plan and a chunk number.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    opts: DemoOptions,
    /// First day of the history.
    start: NaiveDate,
    /// Days in the history, `today` included.
    days: u32,
    reps: Vec<DemoRep>,
    products: Vec<DemoProduct>,
    by_line: [Vec<usize>; 6],
}

impl DemoPlan {
    /// A plan over existing reps and products (ids as the store gave them).
    pub fn new(
        opts: DemoOptions,
        reps: Vec<DemoRep>,
        products: Vec<DemoProduct>,
    ) -> StoreResult<Self> {
        if reps.is_empty() {
            return Err(StoreError::invalid(
                "reps",
                "required",
                "the demo needs at least one sales representative",
            ));
        }
        let mut by_line: [Vec<usize>; 6] = Default::default();
        for (i, p) in products.iter().enumerate() {
            if p.line >= PRODUCT_LINES.len() {
                return Err(StoreError::invalid(
                    "products",
                    "invalid",
                    "product line index out of range",
                ));
            }
            by_line[p.line].push(i);
        }
        if by_line.iter().any(Vec::is_empty) {
            return Err(StoreError::invalid(
                "products",
                "required",
                "every product line needs a product",
            ));
        }
        let start = opts
            .today
            .checked_sub_months(chrono::Months::new(HISTORY_MONTHS))
            .ok_or_else(|| {
                StoreError::invalid(
                    "today",
                    "out_of_range",
                    "today is too early for a three-year history",
                )
            })?;
        let days = (opts.today - start).num_days() as u32 + 1;
        Ok(Self {
            opts,
            start,
            days,
            reps,
            products,
            by_line,
        })
    }

    /// A plan with made-up ids (users 6..=11 as reps, products 1..=n), for generating without a
    /// database: tests and benchmarks of the generator itself.
    pub fn offline(opts: DemoOptions) -> StoreResult<Self> {
        let reps = staff()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.level == StaffLevel::SalesRepresentative)
            .map(|(i, s)| DemoRep {
                id: UserId(i as i64 + 1),
                manager: s.manager.map(|m| UserId(m as i64 + 1)),
            })
            .collect();
        let products = CATALOGUE
            .iter()
            .enumerate()
            .map(|(i, &(_, line, cents))| DemoProduct {
                id: ProductId(i as i64 + 1),
                line,
                unit_price_minor: local_price(cents, &opts.currency),
            })
            .collect();
        Self::new(opts, reps, products)
    }

    pub fn options(&self) -> &DemoOptions {
        &self.opts
    }

    /// Number of chunks the run is cut into.
    pub fn chunks(&self) -> u64 {
        self.opts.customers.div_ceil(CHUNK_CUSTOMERS)
    }

    /// Customers `[start, end)` of chunk `k`.
    pub fn chunk_range(&self, k: u64) -> (u64, u64) {
        let start = (k * CHUNK_CUSTOMERS).min(self.opts.customers);
        (start, (start + CHUNK_CUSTOMERS).min(self.opts.customers))
    }

    /// Chunk `k`'s share of the order target, so the shares add up exactly to `opts.orders`.
    fn chunk_order_target(&self, k: u64) -> u64 {
        let (s, e) = self.chunk_range(k);
        let n = self.opts.customers.max(1) as u128;
        let t = self.opts.orders as u128;
        (t * e as u128 / n - t * s as u128 / n) as u64
    }

    fn date(&self, day: u32) -> NaiveDate {
        self.start + Duration::days(i64::from(day.min(self.days - 1)))
    }

    fn datetime<R: Rng + ?Sized>(&self, rng: &mut R, day: u32) -> DateTime<Utc> {
        let d = self.date(day);
        d.and_hms_opt(between(rng, 8, 18), between(rng, 0, 59), 0)
            .unwrap_or_else(|| d.and_time(chrono::NaiveTime::MIN))
            .and_utc()
    }
}

// ---------------------------------------------------------------------------------------------
// The purchase process (BG/NBD)
// ---------------------------------------------------------------------------------------------

/// Mean purchase rate per day at scale 1 for a person (organisations buy more often).
const BASE_RATE: f64 = 1.0 / 45.0;
/// Gamma shape of purchase rates across customers: below one, so rates are very unequal.
const RATE_SHAPE: f64 = 0.8;
/// Beta(a, b) of dropout probabilities: mean 0.15, with a long tail of very loyal customers.
const DROPOUT_A: f64 = 0.9;
const DROPOUT_B: f64 = 5.0;

/// One customer's purchase process. The first purchase is on `join`; afterwards purchases come
/// at rate `rate × scale` until the customer drops out (probability `p` after each purchase),
/// reaches `end`, or the per-customer cap.
#[derive(Debug, Clone, Copy)]
struct Process {
    seed: u64,
    join: u32,
    end: u32,
    rate: f64,
    p: f64,
}

impl Process {
    /// Replays the process, calling `emit` with each purchase day; returns the count. Uses its
    /// own generator so the same draws decide the same gaps and dropouts at any `scale`: a
    /// bigger scale only shortens gaps, so the count never falls as the scale grows.
    fn replay(&self, scale: f64, mut emit: impl FnMut(u32)) -> u32 {
        let mut r = SplitMix::new(self.seed);
        emit(self.join);
        let mut n = 1;
        let rate = self.rate * scale;
        if rate <= 0.0 || !rate.is_finite() {
            return n;
        }
        let mut t = f64::from(self.join);
        while n < MAX_ORDERS_PER_CUSTOMER {
            if r.next_f64() < self.p {
                break;
            }
            t += -(1.0 - r.next_f64()).ln() / rate;
            if t >= f64::from(self.end) {
                break;
            }
            emit(t as u32);
            n += 1;
        }
        n
    }
}

/// Finds the scale on all purchase rates that makes the processes produce about `target`
/// purchases in total (within 0.1%, or one order).
fn calibrate(procs: &[Process], target: u64) -> f64 {
    let count = |s: f64| -> u64 { procs.iter().map(|p| u64::from(p.replay(s, |_| {}))).sum() };
    if procs.is_empty() || target <= procs.len() as u64 {
        return 0.0;
    }
    let tolerance = (target / 1000).max(1);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut c = count(hi);
    let mut guard = 0;
    while c < target && guard < 30 {
        lo = hi;
        hi *= 2.0;
        c = count(hi);
        guard += 1;
    }
    if c.abs_diff(target) <= tolerance || c < target {
        return hi;
    }
    for _ in 0..40 {
        let mid = if lo == 0.0 {
            hi / 2.0
        } else {
            (lo * hi).sqrt()
        };
        let c = count(mid);
        if c.abs_diff(target) <= tolerance {
            return mid;
        }
        if c < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

// ---------------------------------------------------------------------------------------------
// Chunk generation
// ---------------------------------------------------------------------------------------------

/// Fixed customers at the start of every demo, so search examples and docs can rely on them
/// ("张三" finds 张三丰, "김민" finds 김민준).
struct Showcase {
    name: &'static str,
    /// E-mail local part for persons, domain for organisations.
    mail: &'static str,
    script: Script,
    kind: CustomerKind,
    gender: Option<Gender>,
}

#[rustfmt::skip]
const SHOWCASE: &[Showcase] = &[
    Showcase { name: "张三丰", mail: "zhang.sanfeng", script: Script::Simplified, kind: CustomerKind::Person, gender: Some(Gender::Male) },
    Showcase { name: "김민준", mail: "minjun.kim", script: Script::Korean, kind: CustomerKind::Person, gender: Some(Gender::Male) },
    Showcase { name: "陳美玲", mail: "chen.meiling", script: Script::Traditional, kind: CustomerKind::Person, gender: Some(Gender::Female) },
    Showcase { name: "Emily Johnson", mail: "emily.johnson", script: Script::English, kind: CustomerKind::Person, gender: Some(Gender::Female) },
    Showcase { name: "上海锦华咖啡有限公司", mail: "jinhua-coffee-sh.example", script: Script::Simplified, kind: CustomerKind::Organisation, gender: None },
    Showcase { name: "한빛커피 강남대리점", mail: "hanbit-coffee-seoul.example", script: Script::Korean, kind: CustomerKind::Organisation, gender: None },
    Showcase { name: "台中悅品咖啡有限公司", mail: "yuehpin-coffee-txg.example", script: Script::Traditional, kind: CustomerKind::Organisation, gender: None },
    Showcase { name: "Northwind Coffee Traders", mail: "northwind-coffee-pdx.example", script: Script::English, kind: CustomerKind::Organisation, gender: None },
];

/// Per-customer draws made before the chunk's order budget is calibrated.
#[derive(Debug, Clone, Copy)]
struct Skeleton {
    kind: CustomerKind,
    script: Script,
    stage: LifecycleStage,
    churn_reason: Option<&'static str>,
    rep: usize,
    /// Purchase process for buyers; for leads only `join` (the day of first contact) is used.
    process: Process,
}

/// Gender on person records: a few are left blank or marked other, as real archives are.
const GENDERS: [(Option<Gender>, u32); 4] = [
    (Some(Gender::Female), 48),
    (Some(Gender::Male), 48),
    (Some(Gender::Other), 1),
    (None, 3),
];
const SCRIPT_WEIGHTS: [u32; 4] = [30, 30, 15, 25];
const STAGES: [(LifecycleStage, u32); 4] = [
    (LifecycleStage::Customer, 76),
    (LifecycleStage::Lost, 10),
    (LifecycleStage::Interested, 7),
    (LifecycleStage::Contacted, 7),
];

fn is_buyer(stage: LifecycleStage) -> bool {
    matches!(stage, LifecycleStage::Customer | LifecycleStage::Lost)
}

fn skeleton<R: Rng + ?Sized>(rng: &mut R, plan: &DemoPlan, global: u64) -> Skeleton {
    let show = SHOWCASE.get(global as usize);
    let kind = match show {
        Some(s) => s.kind,
        None if chance(rng, 0.3) => CustomerKind::Organisation,
        None => CustomerKind::Person,
    };
    let script = match show {
        Some(s) => s.script,
        None => Script::ALL[weighted(rng, &SCRIPT_WEIGHTS)],
    };
    let stage = match show {
        Some(_) => LifecycleStage::Customer,
        None => STAGES[weighted(rng, &STAGES.map(|s| s.1))].0,
    };
    let churn_reason = (stage == LifecycleStage::Lost).then(|| {
        let w: Vec<u32> = DEFAULT_CHURN_REASONS.iter().map(|r| r.2).collect();
        DEFAULT_CHURN_REASONS[weighted(rng, &w)].0
    });
    // Reps carry unequal books: the first reps of each team are the senior ones.
    let rep_weights: Vec<u32> = (0..plan.reps.len()).map(|i| 4 - (i % 3) as u32).collect();
    let rep = weighted(rng, &rep_weights);
    let days = plan.days;
    // Customers join throughout the history, a little more often lately (the business grows).
    let (join, end) = match stage {
        LifecycleStage::Lost => {
            // Lost customers bought for a while and stopped at least two months before today.
            let last_start = days.saturating_sub(180).max(1);
            let join = below(rng, last_start as usize) as u32;
            let stop_span = days.saturating_sub(60).saturating_sub(join).max(1);
            let stop = join + 1 + below(rng, stop_span as usize) as u32;
            (join, stop.min(days))
        }
        LifecycleStage::Customer => {
            let u: f64 = rng.gen();
            let join = ((f64::from(days) * u.powf(0.8)) as u32).min(days - 1);
            (join, days)
        }
        // Leads were contacted in the last six months and have not bought.
        _ => {
            let back = below(rng, 180.min(days as usize)) as u32;
            (days - 1 - back, days)
        }
    };
    let kind_factor = if kind == CustomerKind::Organisation {
        2.5
    } else {
        1.0
    };
    let mut rate = sample::gamma(rng, RATE_SHAPE, BASE_RATE / RATE_SHAPE) * kind_factor;
    let mut p = sample::beta(rng, DROPOUT_A, DROPOUT_B);
    let seed = rng.gen::<u64>();
    let mut join = join;
    if show.is_some() {
        // Showcase customers are long-standing regulars, so their pages have a history to show.
        join = join.min(days / 3);
        p = p.min(0.02);
        rate = rate.max(BASE_RATE * kind_factor);
    }
    Skeleton {
        kind,
        script,
        stage,
        churn_reason,
        rep,
        process: Process {
            seed,
            join,
            end,
            rate,
            p,
        },
    }
}

/// How one customer buys: favourite lines, quantities, discount, brand loyalty.
struct BuyerProfile {
    primary: usize,
    secondary: [Option<usize>; 2],
    /// Gamma-distributed multiplier on quantities (mean 1): the Gamma-Gamma spend story.
    spend: f64,
    discount_pct: i64,
    asked_by_name: f64,
    org: bool,
}

const PERSON_LINES: [u32; 6] = [45, 30, 1, 10, 14, 0];
const ORG_LINES: [u32; 6] = [50, 15, 5, 15, 15, 0];
const ANY_LINES: [u32; 6] = [30, 20, 4, 25, 15, 6];

fn profile<R: Rng + ?Sized>(
    rng: &mut R,
    kind: CustomerKind,
    org_kind: Option<OrgKind>,
) -> BuyerProfile {
    let org = kind == CustomerKind::Organisation;
    let primary = weighted(rng, if org { &ORG_LINES } else { &PERSON_LINES });
    let mut secondary = [None, None];
    for slot in secondary.iter_mut() {
        if chance(rng, 0.5) {
            let l = weighted(rng, &ANY_LINES);
            if l != primary {
                *slot = Some(l);
            }
        }
    }
    let shape = if org { 1.2 } else { 2.5 };
    let mut spend = sample::gamma(rng, shape, 1.0 / shape);
    if org_kind == Some(OrgKind::Dealer) {
        spend *= 2.5;
    }
    let discount_pct = match org_kind {
        Some(OrgKind::Dealer) => *pick(rng, &[10, 15, 20]),
        Some(OrgKind::Franchisee) => *pick(rng, &[5, 10]),
        Some(_) => *pick(rng, &[0, 0, 5]),
        None => 0,
    };
    BuyerProfile {
        primary,
        secondary,
        spend,
        discount_pct,
        asked_by_name: 0.05 + 0.55 * rng.gen::<f64>(),
        org,
    }
}

fn quantity<R: Rng + ?Sized>(rng: &mut R, line: usize, prof: &BuyerProfile) -> i64 {
    let (lo, hi) = match (line, prof.org) {
        (EQUIPMENT, true) => (1, 2),
        (SERVICES, _) | (EQUIPMENT, false) => (1, 1),
        (COFFEE, false) | (TEA, false) | (ACCESSORIES, false) => (1, 3),
        (_, false) => (1, 2),
        (COFFEE, true) => (4, 30),
        (TEA, true) => (2, 12),
        (ACCESSORIES, true) => (2, 15),
        (_, true) => (3, 20),
    };
    let base = f64::from(between(rng, lo, hi));
    if line == EQUIPMENT || line == SERVICES {
        return base as i64;
    }
    ((base * prof.spend).round() as i64).max(1)
}

/// Builds one order on `day`; returns it and whether it contained equipment.
fn order<R: Rng + ?Sized>(
    rng: &mut R,
    plan: &DemoPlan,
    prof: &BuyerProfile,
    day: u32,
    order_ref: String,
) -> (ValidOrder, bool) {
    let n_lines = 1 + weighted(rng, &[45, 30, 17, 8]);
    let mut lines: Vec<OrderLine> = Vec::with_capacity(n_lines);
    let mut has_equipment = false;
    for _ in 0..n_lines {
        let roll: f64 = rng.gen();
        let line = if roll < 0.65 {
            prof.primary
        } else if roll < 0.9 {
            prof.secondary[below(rng, 2)].unwrap_or(prof.primary)
        } else {
            weighted(rng, &ANY_LINES)
        };
        let candidates = &plan.by_line[line];
        // Earlier products of a line are the best sellers.
        let weights: Vec<u32> = (0..candidates.len())
            .map(|i| (candidates.len() - i) as u32 + 1)
            .collect();
        let product = plan.products[candidates[weighted(rng, &weights)]];
        if lines.iter().any(|l| l.product_id == Some(product.id)) {
            continue;
        }
        let qty = quantity(rng, line, prof);
        let unit = product.unit_price_minor * (100 - prof.discount_pct) / 100;
        has_equipment |= line == EQUIPMENT;
        lines.push(OrderLine {
            product_id: Some(product.id),
            product_line: Some(PRODUCT_LINES[line].to_owned()),
            quantity: qty,
            unit_price_minor: unit,
            amount_minor: unit * qty,
        });
    }
    let total_minor = lines.iter().map(|l| l.amount_minor).sum();
    let notes = if chance(rng, 0.04) {
        Some(
            (*pick(
                rng,
                &[
                    "Rush delivery",
                    "送货上门",
                    "포장 요청",
                    "請開發票",
                    "Leave at the back door",
                ],
            ))
            .to_owned(),
        )
    } else {
        None
    };
    let o = ValidOrder {
        customer_id: CustomerId(0),
        order_ref: Some(order_ref),
        order_date: plan.date(day),
        currency: plan.opts.currency.clone(),
        asked_by_name: chance(rng, prof.asked_by_name),
        notes,
        lines,
        total_minor,
    };
    (o, has_equipment)
}

/// An interaction of `kind` on `day` by `staff`.
fn interaction<R: Rng + ?Sized>(
    rng: &mut R,
    plan: &DemoPlan,
    script: Script,
    kind: InteractionKind,
    day: u32,
    staff: UserId,
) -> InteractionInput {
    let outcome = chance(rng, 0.8).then(|| (*pick(rng, names::outcomes(script))).to_owned());
    let notes = chance(rng, 0.1).then(|| (*pick(rng, names::customer_notes(script))).to_owned());
    // Some contacts of the last three weeks promised a follow-up, so agendas have promises to
    // keep. Chosen from the day and the person, not the random stream: the rest of the demo
    // stays exactly what it was.
    let recent = day + 21 >= plan.days;
    let promised = recent && (u64::from(day) + staff.0.unsigned_abs()) % 4 == 0;
    let (follow_up_on, follow_up) = if promised {
        let texts = names::follow_ups(script);
        let what = texts[day as usize % texts.len()];
        (
            Some(plan.date(day) + Duration::days(i64::from(3 + day % 9))),
            Some(what.to_owned()),
        )
    } else {
        (None, None)
    };
    InteractionInput {
        customer_id: CustomerId(0),
        kind,
        occurred_at: Some(plan.datetime(rng, day)),
        staff_id: Some(staff),
        key_person_id: None,
        outcome,
        notes,
        follow_up_on,
        follow_up,
    }
}

const ROUTINE_KINDS: [(InteractionKind, u32); 8] = [
    (InteractionKind::Visit, 30),
    (InteractionKind::Call, 35),
    (InteractionKind::Consultation, 10),
    (InteractionKind::Letter, 5),
    (InteractionKind::Card, 5),
    (InteractionKind::Gift, 5),
    (InteractionKind::Meeting, 5),
    (InteractionKind::Other, 5),
];

fn routine_kind<R: Rng + ?Sized>(rng: &mut R) -> InteractionKind {
    ROUTINE_KINDS[weighted(rng, &ROUTINE_KINDS.map(|k| k.1))].0
}

/// Most interactions one customer gets, so a heavy buyer's history stays readable.
const MAX_INTERACTIONS_PER_CUSTOMER: usize = 80;

/// Generates chunk `k` of the plan: customers `chunk_range(k)` with their key persons, orders
/// and interactions. Pure and deterministic — the same plan and `k` always give the same chunk —
/// so it is unit-tested without a database and can run on any thread.
pub fn generate_chunk(plan: &DemoPlan, k: u64) -> StoreResult<BulkChunk> {
    let (start, end) = plan.chunk_range(k);
    let mut rng = ChaCha8Rng::seed_from_u64(sample::mix(plan.opts.seed, k));
    let today = plan.opts.today;

    let skeletons: Vec<Skeleton> = (start..end).map(|g| skeleton(&mut rng, plan, g)).collect();
    let buyers: Vec<Process> = skeletons
        .iter()
        .filter(|s| is_buyer(s.stage))
        .map(|s| s.process)
        .collect();
    let scale = calibrate(&buyers, plan.chunk_order_target(k));

    let n = skeletons.len();
    let mut chunk = BulkChunk {
        customers: Vec::with_capacity(n),
        key_persons: Vec::with_capacity(n),
        orders: Vec::with_capacity(plan.chunk_order_target(k) as usize + n / 10),
        interactions: Vec::with_capacity(n * 3),
        complaints: Vec::new(),
    };
    let mut days: Vec<u32> = Vec::with_capacity(64);
    let mut extra: Vec<(InteractionKind, u32)> = Vec::with_capacity(32);
    let big_order = local_price(50_000, &plan.opts.currency);

    for (i, (sk, g)) in skeletons.iter().zip(start..end).enumerate() {
        let show = SHOWCASE.get(g as usize);
        let script = sk.script;
        let rep = plan.reps[sk.rep];
        let org = sk.kind == CustomerKind::Organisation;
        let region = match show {
            Some(s) if org => names::region_for_domain(script, s.mail)
                .unwrap_or_else(|| names::region(&mut rng, script)),
            _ => names::region(&mut rng, script),
        };
        let cref = format!("C{:06}", g + 1);

        // Identity.
        let gender = if org {
            None
        } else {
            match show {
                Some(s) => s.gender,
                None => GENDERS[weighted(&mut rng, &GENDERS.map(|g| g.1))].0,
            }
        };
        let (name, mail_stem, org_kind) = if org {
            let o = names::org_name(&mut rng, script, region);
            match show {
                Some(s) => (s.name.to_owned(), s.mail.to_owned(), Some(OrgKind::Dealer)),
                None => (o.name, o.domain, Some(o.kind)),
            }
        } else {
            let p = names::person_name(&mut rng, script, gender.unwrap_or(Gender::Other));
            match show {
                Some(s) => (s.name.to_owned(), s.mail.to_owned(), None),
                None => (p.name, p.email_local, None),
            }
        };

        // Orders first: tags and level depend on what the customer bought.
        let prof = profile(&mut rng, sk.kind, org_kind);
        let first_order = chunk.orders.len();
        let mut revenue: i64 = 0;
        extra.clear();
        if is_buyer(sk.stage) {
            days.clear();
            sk.process.replay(scale, |d| days.push(d));
            for (seq, &d) in days.iter().enumerate() {
                let (o, equipment) =
                    order(&mut rng, plan, &prof, d, format!("{cref}-{:03}", seq + 1));
                revenue += o.total_minor;
                if equipment && chance(&mut rng, 0.7) {
                    extra.push((InteractionKind::Installation, d + between(&mut rng, 1, 5)));
                }
                if o.total_minor >= big_order && chance(&mut rng, 0.6) {
                    // METHOD §3.2: a thank-you card within a week of a large purchase.
                    extra.push((InteractionKind::Card, d + between(&mut rng, 1, 7)));
                } else if chance(&mut rng, if org { 0.15 } else { 0.04 }) {
                    extra.push((InteractionKind::Delivery, d + between(&mut rng, 0, 2)));
                }
                chunk.orders.push(BulkOrder {
                    customer: i,
                    order: o,
                });
            }
        }
        let n_orders = chunk.orders.len() - first_order;

        // The information card.
        let birth_date = (!org && chance(&mut rng, 0.85))
            .then(|| names::date_years_ago(&mut rng, today, 20, 75));
        let phone = if org {
            match below(&mut rng, 10) {
                0..=6 => Some(names::landline(&mut rng, script, region)),
                7 | 8 => Some(names::mobile(&mut rng, script, region)),
                _ => None,
            }
        } else {
            chance(&mut rng, 0.88).then(|| names::mobile(&mut rng, script, region))
        };
        let fax =
            (org && chance(&mut rng, 0.25)).then(|| names::landline(&mut rng, script, region));
        let email = if org {
            chance(&mut rng, 0.85).then(|| {
                let local = *pick(&mut rng, &["info", "sales", "order", "contact", "office"]);
                format!("{local}@{mail_stem}")
            })
        } else if chance(&mut rng, 0.78) || show.is_some() {
            let year = birth_date.map(|d| chrono::Datelike::year(&d));
            Some(if show.is_some() {
                format!("{mail_stem}@mail.example")
            } else {
                names::person_email(&mut rng, script, &mail_stem, year)
            })
        } else {
            None
        };
        let address = chance(&mut rng, 0.85).then(|| names::address(&mut rng, script, region));
        let company =
            (!org && chance(&mut rng, 0.2)).then(|| names::org_name(&mut rng, script, region).name);
        let vip = n_orders >= 25 || revenue >= big_order * 10;
        let level = if !is_buyer(sk.stage) {
            None
        } else if vip {
            Some("gold")
        } else if n_orders >= 6 {
            Some("silver")
        } else if chance(&mut rng, 0.6) {
            Some("regular")
        } else {
            None
        };
        let mut tags: Vec<String> = Vec::new();
        if vip {
            tags.push("vip".into());
        }
        if let Some(k) = org_kind {
            tags.push(org_tag(&mut rng, k, script).to_owned());
        }
        if chance(&mut rng, 0.25) {
            tags.push(
                (*pick(
                    &mut rng,
                    &[
                        "online",
                        "newsletter",
                        "walk-in",
                        "coffee lover",
                        "loyalty card",
                    ],
                ))
                .to_owned(),
            );
        }
        if prof.primary == TEA && chance(&mut rng, 0.3) {
            tags.push("tea".into());
        }
        let source = chance(&mut rng, 0.8).then(|| (*pick(&mut rng, sources(script))).to_owned());
        let notes = chance(&mut rng, 0.08)
            .then(|| (*pick(&mut rng, names::customer_notes(script))).to_owned());
        let background = background(&mut rng, script, org);

        let input = CustomerInput {
            external_ref: Some(cref),
            kind: sk.kind,
            name,
            gender,
            birth_date,
            company,
            address,
            phone,
            fax,
            email,
            level: level.map(str::to_owned),
            source,
            stage: Some(sk.stage),
            churn_reason: sk.churn_reason.map(str::to_owned),
            owner_id: Some(rep.id),
            relationship_manager_id: None,
            tags,
            custom: Default::default(),
            notes,
            background,
        };
        chunk
            .customers
            .push(input.validate(today).map_err(StoreError::Invalid)?);

        // Key persons of organisations: 1–5, so about a third fall short of the method's three.
        if org {
            let count = 1 + weighted(&mut rng, &[15, 20, 30, 20, 15]);
            for j in 0..count {
                chunk
                    .key_persons
                    .push((i, key_person(&mut rng, plan, script, region, &mail_stem, j)));
            }
        }

        // Contact history.
        let staff_for = |rng: &mut ChaCha8Rng| match rep.manager {
            Some(m) if org && chance(rng, 0.1) => m,
            _ => rep.id,
        };
        let first_int = chunk.interactions.len();
        let join = sk.process.join;
        match sk.stage {
            LifecycleStage::Interested => {
                if chance(&mut rng, 0.7) {
                    let kind = *pick(
                        &mut rng,
                        &[InteractionKind::Consultation, InteractionKind::Call],
                    );
                    chunk
                        .interactions
                        .push((i, interaction(&mut rng, plan, script, kind, join, rep.id)));
                }
            }
            LifecycleStage::Contacted => {
                let n = between(&mut rng, 1, 3);
                for _ in 0..n {
                    let kind = *pick(
                        &mut rng,
                        &[
                            InteractionKind::Call,
                            InteractionKind::Visit,
                            InteractionKind::Letter,
                        ],
                    );
                    let d = (join + between(&mut rng, 0, 60)).min(plan.days - 1);
                    chunk
                        .interactions
                        .push((i, interaction(&mut rng, plan, script, kind, d, rep.id)));
                }
            }
            LifecycleStage::Customer | LifecycleStage::Lost => {
                if chance(&mut rng, 0.5) {
                    let d = join.saturating_sub(between(&mut rng, 0, 30));
                    let kind = routine_kind(&mut rng);
                    chunk
                        .interactions
                        .push((i, interaction(&mut rng, plan, script, kind, d, rep.id)));
                }
                for &(kind, d) in &extra {
                    if d < plan.days
                        && chunk.interactions.len() - first_int < MAX_INTERACTIONS_PER_CUSTOMER
                    {
                        let staff = staff_for(&mut rng);
                        chunk
                            .interactions
                            .push((i, interaction(&mut rng, plan, script, kind, d, staff)));
                    }
                }
                // Routine visits and calls while the customer is active (and a little after).
                let last = days.last().copied().unwrap_or(join);
                let span_end = (last + 90).min(sk.process.end).min(plan.days - 1);
                let months = f64::from(span_end.saturating_sub(join)) / 30.0;
                let per_month = if org { 0.25 } else { 0.05 };
                let routine = (months * per_month * 2.0 * rng.gen::<f64>()).round() as usize;
                for _ in 0..routine {
                    if chunk.interactions.len() - first_int >= MAX_INTERACTIONS_PER_CUSTOMER {
                        break;
                    }
                    let d = join + below(&mut rng, (span_end - join + 1) as usize) as u32;
                    let kind = routine_kind(&mut rng);
                    let staff = staff_for(&mut rng);
                    chunk
                        .interactions
                        .push((i, interaction(&mut rng, plan, script, kind, d, staff)));
                }
                if sk.stage == LifecycleStage::Lost && chance(&mut rng, 0.6) {
                    let d = (sk.process.end + between(&mut rng, 5, 40)).min(plan.days - 1);
                    let mut it =
                        interaction(&mut rng, plan, script, InteractionKind::Call, d, rep.id);
                    it.outcome = Some((*pick(&mut rng, names::lost_outcomes(script))).to_owned());
                    chunk.interactions.push((i, it));
                }
            }
        }
    }
    // From a stream of their own: the customers, orders and interactions above stay what
    // they were for a seed.
    let scripts: Vec<Script> = skeletons.iter().map(|s| s.script).collect();
    chunk.complaints = complaints::generate(plan, k, &chunk, &scripts);
    Ok(chunk)
}

/// A tag for the kind of organisation: usually the English code, sometimes the word staff of
/// that language would type.
fn org_tag<R: Rng + ?Sized>(rng: &mut R, kind: OrgKind, script: Script) -> &'static str {
    let local = chance(rng, 0.4);
    match (kind, script, local) {
        (OrgKind::Dealer, Script::Simplified, true) => "经销商",
        (OrgKind::Dealer, Script::Traditional, true) => "經銷商",
        (OrgKind::Dealer, Script::Korean, true) => "대리점",
        (OrgKind::Dealer, _, _) => pick::<&str, _>(rng, &["wholesale", "dealer"]),
        (OrgKind::Franchisee, Script::Simplified, true) => "加盟店",
        (OrgKind::Franchisee, Script::Traditional, true) => "加盟店",
        (OrgKind::Franchisee, Script::Korean, true) => "가맹점",
        (OrgKind::Franchisee, _, _) => "franchise",
        (OrgKind::Company, _, _) => pick::<&str, _>(rng, &["office", "hotel", "corporate"]),
        (OrgKind::Shop, _, _) => pick::<&str, _>(rng, &["cafe", "bakery", "restaurant"]),
    }
}

/// Where customers came from, in the words used in each market.
#[rustfmt::skip]
fn sources(script: Script) -> &'static [&'static str] {
    match script {
        Script::English => &[
            "referral", "walk-in", "website", "trade fair", "cold call", "Instagram",
        ],
        Script::Simplified => &[
            "referral", "walk-in", "website", "WeChat", "展会", "转介绍", "大众点评",
        ],
        Script::Traditional => &["referral", "walk-in", "website", "LINE", "展覽", "朋友介紹"],
        Script::Korean => &[
            "referral", "walk-in", "website", "Naver", "지인 소개", "박람회", "인스타그램",
        ],
    }
}

fn key_person<R: Rng + ?Sized>(
    rng: &mut R,
    plan: &DemoPlan,
    script: Script,
    region: &names::Region,
    domain: &str,
    index: usize,
) -> KeyPersonInput {
    let gender = if chance(rng, 0.5) {
        Gender::Female
    } else {
        Gender::Male
    };
    let p = names::person_name(rng, script, gender);
    let titles = names::titles(script);
    // The first key person is the boss; the others have varied roles.
    let title = if index == 0 {
        titles[below(rng, 2)]
    } else {
        *pick(rng, titles)
    };
    let hobbies = chance(rng, 0.6).then(|| {
        let h = names::hobbies(script);
        let a = *pick(rng, h);
        let b = *pick(rng, h);
        if a == b || chance(rng, 0.5) {
            a.to_owned()
        } else {
            format!("{a}, {b}")
        }
    });
    let birthday = chance(rng, 0.7).then(|| names::date_years_ago(rng, plan.opts.today, 25, 65));
    // Married at 22 or later: the anniversary must fit the birthday.
    let age = birthday.map_or(50, |b| {
        (chrono::Datelike::year(&plan.opts.today) - chrono::Datelike::year(&b)) as u32
    });
    let wedding_anniversary = chance(rng, 0.4)
        .then(|| names::date_years_ago(rng, plan.opts.today, 1, age.saturating_sub(22).max(1)));
    KeyPersonInput {
        name: p.name,
        title: Some(title.to_owned()),
        phone: chance(rng, 0.4).then(|| names::landline(rng, script, region)),
        mobile: chance(rng, 0.85).then(|| names::mobile(rng, script, region)),
        email: chance(rng, 0.6).then(|| format!("{}@{domain}", p.email_local)),
        hobbies,
        birthday,
        wedding_anniversary,
        notes: chance(rng, 0.2).then(|| (*pick(rng, names::key_person_notes(script))).to_owned()),
    }
}

fn background<R: Rng + ?Sized>(rng: &mut R, script: Script, org: bool) -> Option<Background> {
    const VALUES: &[&str] = &["time", "price", "quality", "habit", "status"];
    if org {
        if !chance(rng, 0.7) {
            return None;
        }
        let (fin, sales, promo) = names::org_background(script);
        Some(Background {
            financial_strength: Some((*pick(rng, fin)).to_owned()),
            sales_situation: Some((*pick(rng, sales)).to_owned()),
            promotion_attitude: chance(rng, 0.7).then(|| (*pick(rng, promo)).to_owned()),
            buying_values: Some((*pick(rng, VALUES)).to_owned()),
            owner_management_level: chance(rng, 0.5)
                .then(|| (*pick(rng, &["high", "average", "low"])).to_owned()),
            ..Default::default()
        })
    } else {
        if !chance(rng, 0.25) {
            return None;
        }
        Some(Background {
            occupation: Some((*pick(rng, names::occupations(script))).to_owned()),
            buying_values: Some((*pick(rng, VALUES)).to_owned()),
            personality: chance(rng, 0.5).then(|| {
                (*pick(
                    rng,
                    &["outgoing", "careful", "decisive", "talkative", "reserved"],
                ))
                .to_owned()
            }),
            ..Default::default()
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Writing it
// ---------------------------------------------------------------------------------------------

/// Generates the demo archive into `store`: staff, products, then customers chunk by chunk.
///
/// Refuses (with a conflict) when the demo administrator already exists, because a second run
/// would collide on customer references halfway through. `progress` is called after every
/// chunk is committed.
pub async fn generate(
    store: &dyn Store,
    opts: &DemoOptions,
    progress: Option<&(dyn Fn(DemoProgress) + Sync)>,
) -> StoreResult<DemoReport> {
    let admin_email = format!("admin@{STAFF_DOMAIN}");
    if store.find_user(&admin_email).await?.is_some() {
        return Err(StoreError::conflict(
            Some("email"),
            format!("demo data is already present ({admin_email} exists); use an empty database"),
        ));
    }

    let mut users: Vec<User> = Vec::with_capacity(staff().len());
    for s in staff() {
        let manager_id = s.manager.and_then(|m| users.get(m)).map(|u| u.id);
        let u = store
            .create_user(UserInput {
                email: format!("{}@{STAFF_DOMAIN}", s.local),
                name: s.name.to_owned(),
                staff_level: s.level,
                manager_id,
            })
            .await?;
        users.push(u);
    }
    let reps: Vec<DemoRep> = users
        .iter()
        .filter(|u| u.staff_level == StaffLevel::SalesRepresentative)
        .map(|u| DemoRep {
            id: u.id,
            manager: u.manager_id,
        })
        .collect();

    let mut products = Vec::with_capacity(CATALOGUE.len());
    for (input, &(_, line, _)) in catalogue(&opts.currency).into_iter().zip(CATALOGUE) {
        let p = store.create_product(input).await?;
        products.push(DemoProduct {
            id: p.id,
            line,
            unit_price_minor: p.unit_price_minor.unwrap_or(0),
        });
    }

    let plan = Arc::new(DemoPlan::new(opts.clone(), reps, products)?);
    let mut report = DemoReport {
        users,
        products: CATALOGUE.len() as u64,
        customers: 0,
        key_persons: 0,
        orders: 0,
        interactions: 0,
        complaints: 0,
    };
    let chunks = plan.chunks();
    let spawn = |k: u64| {
        let plan = Arc::clone(&plan);
        tokio::task::spawn_blocking(move || generate_chunk(&plan, k))
    };
    let mut next = (chunks > 0).then(|| spawn(0));
    for k in 0..chunks {
        let Some(handle) = next.take() else { break };
        let chunk = handle
            .await
            .map_err(|e| StoreError::other("demo chunk generation", e))??;
        // Generate the following chunk while this one is written.
        next = (k + 1 < chunks).then(|| spawn(k + 1));
        let (c, kp, o, it, x) = (
            chunk.customers.len(),
            chunk.key_persons.len(),
            chunk.orders.len(),
            chunk.interactions.len(),
            chunk.complaints.len(),
        );
        store.bulk_insert(chunk).await?;
        report.customers += c as u64;
        report.key_persons += kp as u64;
        report.orders += o as u64;
        report.interactions += it as u64;
        report.complaints += x as u64;
        if let Some(f) = progress {
            f(DemoProgress {
                customers: report.customers,
                customers_total: opts.customers,
                orders: report.orders,
                orders_target: opts.orders,
            });
        }
    }
    plans::locate(store, opts).await?;
    promotions::generate(store, opts, &report).await?;
    after_sales::generate(store, opts).await?;
    touch::generate(store, opts, &report).await?;
    surveys::generate(store, opts, &report).await?;
    store.refresh_statistics().await?;
    Ok(report)
}

#[cfg(test)]
mod tests;
