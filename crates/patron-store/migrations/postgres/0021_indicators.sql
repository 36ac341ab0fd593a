-- The five indicators' counts (METHOD §5) per period (month `2026-11`, quarter `2026-Q4`) and
-- segment (dimension `all`, `class` by ABC class, `owner` by owner id; `-` for none), kept by a
-- refresh (`patron serve` every few minutes, `patron indicators --refresh`) so the indicators
-- page reads a few hundred rows instead of scanning every order.
CREATE TABLE indicator_counts (
    period        TEXT NOT NULL,
    dimension     TEXT NOT NULL,
    segment       TEXT NOT NULL,
    served        BIGINT NOT NULL,
    buyers        BIGINT NOT NULL,
    repeat_buyers BIGINT NOT NULL,
    orders        BIGINT NOT NULL,
    named_orders  BIGINT NOT NULL,
    complainers   BIGINT NOT NULL,
    complaints    BIGINT NOT NULL,
    surveyed      BIGINT NOT NULL,
    praising      BIGINT NOT NULL,
    PRIMARY KEY (period, dimension, segment)
);
