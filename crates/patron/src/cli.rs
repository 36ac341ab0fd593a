//! The command-line grammar (clap). Flag names are an interface other tools rely on: extend,
//! never rename.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "patron", version, about = "Patron: customer management that runs the method.", long_about = None)]
pub struct Cli {
    /// Database URL: sqlite://FILE (default sqlite://patron.db) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "PATRON_DATABASE_URL")]
    pub db: Option<String>,
    /// Settings file (default ./patron.toml when it exists).
    #[arg(long, global = true, env = "PATRON_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log lines on standard error as text, or as one JSON object per line (for a log
    /// collector).
    #[arg(
        long,
        global = true,
        env = "PATRON_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the JSON API (and the web UI) on an address.
    Serve(ServeArgs),
    /// Build a fresh demo database and serve it.
    Demo(DemoArgs),
    /// Import customers, contacts, products or orders from CSV or XLSX.
    Import(Box<ImportArgs>),
    /// Export customers, contacts or orders to CSV or XLSX (by the file's extension).
    Export(ExportArgs),
    /// Copy the SQLite database, consistently, while Patron serves it (checked afterwards).
    Backup(crate::cmd::backup::BackupArgs),
    /// Replace the SQLite database with a backup (checked first; a running server sees the
    /// restored database at once).
    Restore(crate::cmd::backup::RestoreArgs),
    /// List, show, add and edit customers.
    #[command(subcommand)]
    Customers(Box<CustomersCommand>),
    /// List likely duplicate customers (same phone or e-mail, near-identical names).
    Duplicates(DuplicatesArgs),
    /// Merge customer OTHER into KEEP, keeping every order, contact and interaction.
    Merge(MergeArgs),
    /// List or define typed custom fields on customers.
    #[command(subcommand, name = "custom-fields")]
    CustomFields(CustomFieldsCommand),
    /// Print the effective configuration (secrets masked).
    Config(JsonFlag),
    /// Add, list and change sign-ins (staff and their roles).
    #[command(subcommand)]
    User(UserCommand),
    /// Personal API tokens (Authorization: Bearer TOKEN).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Customer-base models: BG/NBD (who is still buying, how often) and Gamma-Gamma (spend).
    #[command(subcommand)]
    Model(ModelCommand),
    /// Classify every customer (ABC by value, loyalty by behaviour, RFM segment) and record
    /// every change of class.
    Classify(ClassifyArgs),
    /// Class movement between two days, and the classification rules.
    #[command(subcommand)]
    Classes(ClassesCommand),
    /// The method's value lists: gold, drag, targets, complaining, slipping, narrow, credit,
    /// unmanaged (A-class customers without a relationship manager).
    Lists(ListsArgs),
    /// The credit system: credit reviews (class AAA/AA/A/none, limit, payment term), payments,
    /// a customer's outstanding and overdue balance, every customer under credit management.
    #[command(subcommand)]
    Credit(CreditCommand),
    /// Record a customer's product or service satisfaction (1–5) and print its latest scores
    /// and its quadrant of the loyalty matrix.
    Satisfaction(SatisfactionArgs),
    /// A user's agenda (visits and calls due by policy, birthdays, thank-you cards, pre-season
    /// calls, promised follow-ups): overdue, today, this week; and doing, snoozing or dismissing
    /// its items.
    Agenda(AgendaArgs),
    /// Visit plans per year, quarter and month (METHOD §3.1): build one from the visit and
    /// call policy, show it planned against done.
    #[command(subcommand)]
    Plans(crate::cmd::plans::PlansCommand),
    /// A person's visits of a day (due on the agenda, planned for the day) in a short order,
    /// with each leg's distance; customers without coordinates listed apart.
    Route(crate::cmd::plans::RouteArgs),
    /// Key-account development plans (METHOD §3.4): goals, our strong, competitors' and our
    /// weak projects, actions with owners and review dates; list, show, set, action add,
    /// project, reviewed.
    #[command(subcommand, name = "key-accounts")]
    KeyAccounts(crate::cmd::key_accounts::KeyAccountsCommand),
    /// Message templates for letters, cards, gifts and questionnaires (METHOD §3.3): list,
    /// add, and render for a customer (--log records it as sent).
    #[command(subcommand)]
    Templates(crate::cmd::touch::TemplatesCommand),
    /// Customer meetings and seminars (METHOD §3.3): list, add, invite, reply, attend
    /// (attending logs a meeting).
    #[command(subcommand)]
    Events(crate::cmd::touch::EventsCommand),
    /// What customers voiced, each answered within 24 hours (METHOD §3.3): list [--overdue],
    /// add, reply.
    #[command(subcommand)]
    Requests(crate::cmd::touch::RequestsCommand),
    /// The contact plan's settings: the visit and call policy, the time zone, the thank-you
    /// rule, seasons and launches; and the compliance report.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Promotions run with customers (METHOD §7): cost lines, budget, expected extra sales and
    /// gross margin; participants and their attitude; expected against actual effect.
    #[command(subcommand)]
    Promotions(crate::cmd::promotions::PromotionsCommand),
    /// Deliveries and installations (METHOD §6): list, show, add; the customer notified before,
    /// done, late (the reason and the newly agreed time), cancelled, the after-sales call.
    #[command(subcommand)]
    Deliveries(crate::cmd::after_sales::DeliveriesCommand),
    /// Complaints (METHOD §4), each answered within 24 hours: list [--status S] [--overdue]
    /// [--owner U] [--customer ID], show ID, add --customer ID --channel C --summary TEXT.
    #[command(subcommand)]
    Complaints(crate::cmd::complaints::ComplaintsCommand),
    /// Satisfaction surveys (METHOD §5): list, show ID (answers summed), link --customer ID
    /// (--survey ID | --complaint) for the customer's public form.
    #[command(subcommand)]
    Surveys(crate::cmd::surveys::SurveysCommand),
    /// The five indicators (METHOD §5) per month and quarter: sales power, complaint rate,
    /// repeat-purchase rate, name recognition, reputation, with the counts behind each.
    Indicators(crate::cmd::indicators::IndicatorsArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AgendaArgs {
    #[command(subcommand)]
    pub action: Option<AgendaCommand>,
    /// Whose agenda (e-mail); without it, every active user's, each item naming its user.
    #[arg(long, value_name = "EMAIL")]
    pub user: Option<String>,
    /// The day, YYYY-MM-DD (default today in the shop's time zone).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Print JSON: {"items":[{"kind","customer_id","customer_name","due","overdue","reason",…}],…}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AgendaCommand {
    /// Mark an item done, logging the interaction (a visit for a visit, a card for a card,
    /// a call otherwise, unless --kind).
    Done {
        /// The item's key as the agenda prints it (e.g. visit:42:2026-03-11).
        key: String,
        /// Whose item it is (e-mail).
        #[arg(long, value_name = "EMAIL")]
        user: String,
        /// The interaction kind to log instead of the item's own.
        #[arg(long)]
        kind: Option<String>,
        /// How it went.
        #[arg(long)]
        outcome: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Snooze an item to a later day.
    Snooze {
        key: String,
        #[arg(long, value_name = "EMAIL")]
        user: String,
        /// The day it comes back, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        until: String,
        #[arg(long)]
        json: bool,
    },
    /// A user's daily e-mail digest: print it as it would be sent, or send it now (--send,
    /// with the saved mail settings, whether or not the daily digest is on). With --due, send
    /// every digest that is due now and not yet sent (what the server does each minute).
    Digest {
        #[arg(long, value_name = "EMAIL", required_unless_present = "due")]
        user: Option<String>,
        /// The day, YYYY-MM-DD (default today).
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
        #[arg(long, conflicts_with = "due")]
        send: bool,
        #[arg(long)]
        due: bool,
        #[arg(long)]
        json: bool,
    },
    /// Create (or with --revoke, revoke) a user's iCalendar feed and print its path: a secret
    /// URL calendar programs subscribe to (a new one replaces the old).
    Calendar {
        #[arg(long, value_name = "EMAIL")]
        user: String,
        #[arg(long)]
        revoke: bool,
        /// Print the feed itself (what a calendar program gets) instead.
        #[arg(long, conflicts_with = "revoke")]
        print: bool,
    },
    /// Dismiss an item with a reason (a dismissed visit or call starts its next cycle today).
    Dismiss {
        key: String,
        #[arg(long, value_name = "EMAIL")]
        user: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Print the visit and call policy, or replace it with --set (a JSON file or text, as
    /// printed by --json).
    Policy {
        #[arg(long, value_name = "JSON|FILE")]
        set: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print the contact settings (time zone, thank-you rule, seasons), or replace them with
    /// --set (JSON file or text, as printed).
    Settings {
        #[arg(long, value_name = "JSON|FILE")]
        set: Option<String>,
    },
    /// Visits and calls due by policy against done, per person, class and month.
    Compliance {
        /// Months back, counting the month of --until (1–36).
        #[arg(long, default_value_t = 3)]
        months: u32,
        /// A day in the last month, YYYY-MM-DD (default today).
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print the daily e-mail digest's settings (without the password), or replace them with
    /// --set (JSON file or text, as printed; leave "password" out to keep the stored one).
    Digest {
        #[arg(long, value_name = "JSON|FILE")]
        set: Option<String>,
    },
    /// Reassignments of owners and relationship managers (who moved which customer to whom).
    Reassignments {
        /// First day, YYYY-MM-DD (default 90 days before --to).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (default today).
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// Only this role's moves.
        #[arg(long, value_parser = ["owner", "relationship_manager"])]
        role: Option<String>,
        /// Only customers of this class now.
        #[arg(long, value_parser = ["A", "B", "C"])]
        class: Option<String>,
        /// See only what this user may see (default: everything).
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct SatisfactionArgs {
    /// Customer reference, or id (#ID forces an id).
    pub customer: String,
    /// What is rated.
    #[arg(long, value_parser = ["product", "service"])]
    pub aspect: String,
    /// 1 (very dissatisfied) to 5 (very satisfied); 3 and above count as satisfied.
    #[arg(long)]
    pub score: u8,
    /// What the customer said.
    #[arg(long)]
    pub note: Option<String>,
    /// The day of the rating, YYYY-MM-DD (default today).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Record the rating as this user's (e-mail).
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CreditCommand {
    /// Record a credit review: the customer's credit class and, when they differ from the
    /// class's default (`patron credit policy`), its limit and payment term. The first review
    /// puts the customer under credit management.
    Review(CreditReviewArgs),
    /// Record a payment received from a customer (in the default currency).
    Pay(CreditPayArgs),
    /// A customer's credit, outstanding and overdue balance, payments, reviews and overrides.
    Show(ShowArgs),
    /// Every customer under credit management, most overdue first.
    Accounts(CreditAccountsArgs),
    /// The default limit and payment term of each credit class; print or change them.
    Policy(CreditPolicyArgs),
}

#[derive(Debug, Args)]
pub struct CreditReviewArgs {
    /// Customer reference, or id (#ID forces an id).
    pub customer: String,
    /// AAA | AA | A | none
    #[arg(long)]
    pub class: String,
    /// Credit limit in the default currency, e.g. 50000 or 50,000.00 (default: the class's).
    #[arg(long)]
    pub limit: Option<String>,
    /// Days after an order's date by which it must be paid (default: the class's).
    #[arg(long)]
    pub term_days: Option<u32>,
    /// A deposit held as security (recorded with the review).
    #[arg(long)]
    pub deposit: Option<String>,
    /// The day of the review, YYYY-MM-DD (default today).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// What the review found.
    #[arg(long)]
    pub notes: Option<String>,
    /// Record the review as this user's (e-mail; a business manager or above).
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CreditPayArgs {
    /// Customer reference, or id (#ID forces an id).
    pub customer: String,
    /// The amount received in the default currency, e.g. 12000 or 12,000.50.
    pub amount: String,
    /// The day the money arrived, YYYY-MM-DD (default today).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// The bank or receipt reference.
    #[arg(long)]
    pub reference: Option<String>,
    #[arg(long)]
    pub notes: Option<String>,
    /// Record the payment as this user's (e-mail).
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CreditAccountsArgs {
    /// Only the customers this user (e-mail) may see, by the web UI's rules.
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CreditPolicyArgs {
    /// Set one default, e.g. `--set AA.limit=50000`, `--set A.term_days=30` (repeatable).
    #[arg(long, value_name = "CLASS.TERM=VALUE")]
    pub set: Vec<String>,
    /// Back to the method's example terms.
    #[arg(long)]
    pub reset: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListsArgs {
    /// gold | drag | targets | complaining | slipping | narrow | credit
    pub name: String,
    /// Write the list to FILE.csv or FILE.xlsx (by extension) instead of printing it.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only the customers this user may see (by the web UI's rules).
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Classify as of this day (YYYY-MM-DD): orders after it are left out. Default: today.
    /// A day before the latest run fills the class history without changing the current classes.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ClassesCommand {
    /// How many customers moved from which class to which between two days.
    Movement(MovementArgs),
    /// Print the classification rules in force, or change them.
    Rules(RulesArgs),
}

#[derive(Debug, Args)]
pub struct MovementArgs {
    #[arg(long, value_name = "DATE")]
    pub from: String,
    #[arg(long, value_name = "DATE")]
    pub to: String,
    /// abc | loyalty | rfm
    #[arg(long, default_value = "abc")]
    pub dimension: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Set one rule, e.g. `--set abc.method=customer_share`, `--set abc.revenue_a=0.7`,
    /// `--set loyalty.lapse_days=120` (repeatable). Fractions, not percentages.
    #[arg(long, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Back to the method's defaults.
    #[arg(long)]
    pub reset: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Fit BG/NBD and Gamma-Gamma to the purchase history by maximum likelihood and print their
    /// parameters (kept in the database for scoring).
    Fit(ModelFitArgs),
    /// Score every customer with the last fit: P(alive), expected purchases and spend over the
    /// horizon, and customer lifetime value; kept for the customer pages and printed.
    Score(ModelScoreArgs),
}

#[derive(Debug, Args)]
pub struct ModelScoreArgs {
    /// How far ahead: `52w` (weeks), `365d` (days), or a number in the fit's unit.
    #[arg(long, default_value = "52w")]
    pub horizon: String,
    /// Yearly discount rate of the lifetime value (0.10 = 10%). Default: the setting
    /// `model.discount_rate`, else 0.10.
    #[arg(long)]
    pub discount_rate: Option<f64>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ModelFitArgs {
    /// The end of the calibration period (YYYY-MM-DD): orders after it are left out. Default:
    /// the day of the latest order.
    #[arg(long, value_name = "DATE")]
    pub calibration_end: Option<String>,
    /// The models' unit of time (a week is 7 days; times are fractional).
    #[arg(long, value_enum, default_value = "week")]
    pub unit: UnitArg,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UnitArg {
    Week,
    Day,
}

/// Roles as the command line spells them (METHOD §0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Sales representative: their own customers.
    Sales,
    /// Business manager: their team's customers.
    Manager,
    /// Marketing director: all customers.
    Director,
    /// General manager / VP: all customers.
    Gm,
    /// Administrator: all customers, users and roles.
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from standard input when it is not a terminal
    /// (one line), else asked for.
    Add(UserAddArgs),
    /// List users.
    List(JsonFlag),
    /// Change a user's role.
    SetRole(SetRoleArgs),
    /// Set a new password (read like `user add`) and end the user's sessions.
    ResetPassword(ResetPasswordArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    pub email: String,
    #[arg(long, value_enum, required_unless_present = "admin")]
    pub role: Option<RoleArg>,
    /// Shorthand for --role admin (the first administrator).
    #[arg(long, conflicts_with = "role")]
    pub admin: bool,
    /// Display name (default: the part of the e-mail before @).
    #[arg(long)]
    pub name: Option<String>,
    /// E-mail of the business manager this user reports to.
    #[arg(long)]
    pub manager: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SetRoleArgs {
    pub email: String,
    #[arg(value_enum)]
    pub role: RoleArg,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ResetPasswordArgs {
    pub email: String,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a personal API token for a user and print it (shown only once).
    Create(TokenCreateArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    pub email: String,
    /// A name that tells the token apart in the list.
    #[arg(long, default_value = "command line")]
    pub name: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print one JSON document on standard output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PATRON_ADDR")]
    pub addr: Option<String>,
    /// Mark cookies Secure (sent over https only): set it when Patron is reached over https or
    /// behind a proxy that terminates TLS.
    #[arg(long, env = "PATRON_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics (a separate address, e.g.
    /// 127.0.0.1:9090, so they are not exposed with the application). Off when not given.
    #[arg(long, env = "PATRON_METRICS_ADDR", value_name = "ADDR")]
    pub metrics_addr: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, env = "PATRON_ADDR")]
    pub addr: Option<String>,
    /// Mark cookies Secure (sent over https only): set it when Patron is reached over https or
    /// behind a proxy that terminates TLS.
    #[arg(long, env = "PATRON_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Number of customers to generate.
    #[arg(long, default_value_t = 300)]
    pub customers: u64,
    /// Approximate number of orders over three years (default: 10 per customer).
    #[arg(long)]
    pub orders: Option<u64>,
    /// Random seed: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Generate only; do not start the server.
    #[arg(long)]
    pub no_serve: bool,
    /// Replace the database even if it holds data that is not demo data.
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportWhat {
    Customers,
    Contacts,
    Products,
    Orders,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EncodingArg {
    Auto,
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    Gb18030,
    Big5,
    #[value(name = "euc-kr", alias = "euckr")]
    EucKr,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(required_unless_present = "all")]
    pub what: Option<ImportWhat>,
    /// A .csv/.txt/.tsv or .xlsx file.
    #[arg(required_unless_present = "all")]
    pub file: Option<PathBuf>,
    /// Load an archive made by `patron export --all` into this database, which must be new
    /// (no users, customers or audit records): one transaction, all or nothing.
    #[arg(long, value_name = "ARCHIVE", conflicts_with_all = ["what", "file", "maps", "no_header",
        "columns", "delimiter", "date_format", "currency", "dry_run", "strict", "rejects",
        "sheet", "online", "as_user"])]
    pub all: Option<PathBuf>,
    /// Map a header column to a field: --map 'Kunde=name' (repeatable; '-' skips the column).
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub maps: Vec<String>,
    /// The file has no header row (then --columns is required).
    #[arg(long)]
    pub no_header: bool,
    /// The field of each column in order, '-' to skip: --columns customer_ref,-,date,quantity,amount
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Column separator: , ; tab whitespace (or one character). Default: detected.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Text encoding of a CSV file.
    #[arg(long, value_enum, default_value = "auto")]
    pub encoding: EncodingArg,
    /// Date format of date columns in chrono syntax, e.g. %Y%m%d or %d.%m.%Y.
    #[arg(long)]
    pub date_format: Option<String>,
    /// Currency of amounts when the file has no currency column (ISO 4217).
    #[arg(long)]
    pub currency: Option<String>,
    /// Check and count everything, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse the whole file if any row is bad (default: import good rows, reject bad ones).
    #[arg(long)]
    pub strict: bool,
    /// Where rejected rows are written (default: FILE.rejects.csv).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Sheet of an XLSX workbook (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Never make other sessions wait. A large orders import on PostgreSQL (at least 50,000
    /// rows, at least as many as the orders already stored) otherwise rebuilds the order tables'
    /// indexes and foreign keys once at the end, holding those tables until it commits; with
    /// --online it checks every row as it goes (slower). On SQLite such an import, when no other
    /// connection to the database is open, writes with a rollback journal instead of the
    /// write-ahead log (each page written once, not twice), so a reader that connects meanwhile
    /// waits for it; with --online, or when another process has the database open, it stays on
    /// the write-ahead log and never blocks readers.
    #[arg(long)]
    pub online: bool,
    /// Record the import, and the changes it makes in the customers' history, as made by this
    /// user (e-mail). Without it they are recorded as made from the command line.
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportWhat {
    Customers,
    Contacts,
    Orders,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(required_unless_present = "all")]
    pub what: Option<ExportWhat>,
    /// Output file: .csv or .xlsx.
    #[arg(required_unless_present = "all")]
    pub file: Option<PathBuf>,
    /// Write the whole installation (every table: customers, orders, interactions, complaints,
    /// class history, audit records, users, settings…) to a new archive file, which `patron
    /// import --all` loads into an empty database of either kind (SQLite → PostgreSQL and back).
    #[arg(long, value_name = "ARCHIVE", conflicts_with_all = ["what", "file", "as_user"])]
    pub all: Option<PathBuf>,
    /// Export only what this user (e-mail) may see: their customers and those customers'
    /// contacts and orders, by the same rules as the web UI. Without it the command line, as the
    /// database's operator, exports everything.
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SortArg {
    Id,
    Name,
    Created,
    Updated,
}

#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// List customers (search, filters, keyset pages).
    List(ListArgs),
    /// Show one customer as staff see it before a contact (by id or ref).
    Show(ShowArgs),
    /// Add a customer.
    Add(AddArgs),
    /// Edit a customer's fields (by id or ref).
    Edit(EditArgs),
    /// Set (or --clear) a customer's coordinates, which place it on the day's route.
    Locate(crate::cmd::plans::LocateArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Search text: name, company, e-mail, phone or reference substring (CJK included).
    #[arg(long, short = 'q')]
    pub query: Option<String>,
    /// interested | contacted | customer | lost
    #[arg(long)]
    pub stage: Option<String>,
    /// Owner's user id, e-mail or name.
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    pub tag: Option<String>,
    /// person | organisation
    #[arg(long)]
    pub kind: Option<String>,
    /// Current ABC class: A | B | C (see `patron classify`)
    #[arg(long)]
    pub abc: Option<String>,
    /// RFM segment: champions | loyal_customers | potential_loyalists | new_customers | promising
    /// | need_attention | about_to_sleep | at_risk | cant_lose_them | hibernating
    #[arg(long)]
    pub segment: Option<String>,
    /// Loyalty in force: loyal | switcher | no_loyalty | unknown
    #[arg(long)]
    pub loyalty: Option<String>,
    /// Loyalty-matrix quadrant of the latest satisfaction: loyal | easily_taken |
    /// still_hopeful | destructive | unknown
    #[arg(long)]
    pub quadrant: Option<String>,
    /// Only scored customers whose P(alive) is at most this fraction (e.g. 0.3).
    #[arg(long)]
    pub p_alive_max: Option<f64>,
    /// Only scored customers whose lifetime value is at least this amount.
    #[arg(long)]
    pub clv_min: Option<f64>,
    #[arg(long, value_enum, default_value = "id")]
    pub sort: SortArg,
    #[arg(long)]
    pub desc: bool,
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// The next_cursor of a previous page.
    #[arg(long)]
    pub cursor: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Customer reference, or id (#ID forces an id).
    pub customer: String,
    #[arg(long)]
    pub json: bool,
}

/// Fields settable from the command line (shared by add and edit).
#[derive(Debug, Args, Default)]
pub struct CustomerFields {
    #[arg(long)]
    pub name: Option<String>,
    /// person | organisation
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long = "ref")]
    pub reference: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub company: Option<String>,
    #[arg(long)]
    pub fax: Option<String>,
    /// female | male | other
    #[arg(long)]
    pub gender: Option<String>,
    /// YYYY-MM-DD
    #[arg(long)]
    pub birth_date: Option<String>,
    /// interested | contacted | customer | lost
    #[arg(long)]
    pub stage: Option<String>,
    /// Churn reason code (required with --stage lost).
    #[arg(long)]
    pub churn_reason: Option<String>,
    /// Owner's user id, e-mail or name.
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    pub level: Option<String>,
    #[arg(long)]
    pub source: Option<String>,
    /// A tag (repeatable). With edit, replaces the tags.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    #[arg(long)]
    pub notes: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub fields: CustomerFields,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Customer reference, or id (#ID forces an id).
    pub customer: String,
    #[command(flatten)]
    pub fields: CustomerFields,
    /// Clear a field (repeatable): --clear fax --clear notes
    #[arg(long = "clear", value_name = "FIELD")]
    pub clear: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DuplicatesArgs {
    #[arg(long, default_value_t = 200)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The customer that stays (id or ref).
    pub keep: String,
    /// The customer merged into KEEP and then removed (id or ref).
    pub other: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CustomFieldsCommand {
    /// List the custom fields.
    List(JsonFlag),
    /// Define a custom field, or redefine the one with the same key.
    Add(CustomFieldArgs),
}

#[derive(Debug, Args)]
pub struct CustomFieldArgs {
    /// Key used in the API and imports: a-z, 0-9 and _.
    #[arg(long)]
    pub key: String,
    /// Label shown to users.
    #[arg(long)]
    pub label: String,
    /// text | number | date | choice
    #[arg(long = "type")]
    pub field_type: String,
    /// An allowed value of a choice field (repeatable).
    #[arg(long = "choice")]
    pub choices: Vec<String>,
    #[arg(long)]
    pub json: bool,
}
