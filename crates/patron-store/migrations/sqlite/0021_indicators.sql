-- The five indicators' counts (METHOD §5) per period (month `2026-11`, quarter `2026-Q4`) and
-- segment (dimension `all`, `class` by ABC class, `owner` by owner id; `-` for none), kept by a
-- refresh (`patron serve` every few minutes, `patron indicators --refresh`) so the indicators
-- page reads a few hundred rows instead of scanning every order.
CREATE TABLE indicator_counts (
    period        TEXT NOT NULL,
    dimension     TEXT NOT NULL,
    segment       TEXT NOT NULL,
    served        INTEGER NOT NULL,
    buyers        INTEGER NOT NULL,
    repeat_buyers INTEGER NOT NULL,
    orders        INTEGER NOT NULL,
    named_orders  INTEGER NOT NULL,
    complainers   INTEGER NOT NULL,
    complaints    INTEGER NOT NULL,
    surveyed      INTEGER NOT NULL,
    praising      INTEGER NOT NULL,
    PRIMARY KEY (period, dimension, segment)
);
