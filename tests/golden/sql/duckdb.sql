-- segql golden SQL for duckdb (now pinned to 2026-11-15T12:00:00Z); review every change

-- constructs/c_compare
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."opens" >= 5
  AND t1."clicks" < 3
  AND (
    NOT (
      t1."lifetime_value" = 100.5
    ) OR t1."lifetime_value" IS NULL
  );

-- constructs/c_string_eq
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."country" = 'USA'
  OR (
    NOT (
      t1."country" = 'usa'
    ) OR t1."country" IS NULL
  );

-- constructs/c_in
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."state" IN ('CA', 'NY')
  AND (
    NOT (
      t1."customer_tier" IN ('Gold', 'Silver')
    ) OR t1."customer_tier" IS NULL
  );

-- constructs/c_between
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    t1."opens" >= 3 AND t1."opens" <= 10
  )
  AND (
    (
      NOT (
        t1."clicks" >= 1
      ) OR t1."clicks" IS NULL
    )
    OR (
      NOT (
        t1."clicks" <= 2
      ) OR t1."clicks" IS NULL
    )
  );

-- constructs/c_null
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."country" IS NULL OR (
    NOT t1."email" IS NULL AND t1."state" IS NULL
  );

-- constructs/c_empty
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    t1."email" IS NULL OR t1."email" = ''
  )
  OR (
    NOT t1."job_title" IS NULL
    AND (
      NOT (
        t1."job_title" = ''
      ) OR t1."job_title" IS NULL
    )
  );

-- constructs/c_contains
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  LOWER(t1."email") LIKE '%100!%!_real%' ESCAPE '!'
  OR LOWER(t1."job_title") LIKE 'senior%' ESCAPE '!'
  OR LOWER(t1."email") LIKE '%.org' ESCAPE '!';

-- constructs/c_not_contains
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    NOT (
      LOWER(t1."email") LIKE '%@company.com%' ESCAPE '!'
    )
    OR t1."email" IS NULL
  )
  AND (
    NOT (
      LOWER(t1."job_title") LIKE 'ceo%' ESCAPE '!'
    ) OR t1."job_title" IS NULL
  );

-- constructs/c_matches
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  REGEXP_MATCHES(t1."email", '^[a-z]+\.[0-9]+@')
  OR REGEXP_MATCHES(t1."job_title", '[dD][eE][vV][eE][lL][oO][pP][eE][rR]$');

-- constructs/c_not_matches
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    NOT (
      REGEXP_MATCHES(t1."email", 'gmail')
    ) OR t1."email" IS NULL
  );

-- constructs/c_bool
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."is_vip" = TRUE
  AND (
    NOT (
      t1."welcome_email_sent" = TRUE
    ) OR t1."welcome_email_sent" IS NULL
  );

-- constructs/c_arith
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    (
      (
        t1."opens" * 2
      ) + (
        t1."clicks" * 5
      )
    ) - t1."purchases"
  ) > 20
  AND (
    CAST(t1."total_revenue" AS DOUBLE) / NULLIF(CAST(t1."order_count" AS DOUBLE), 0)
  ) > 100;

-- constructs/c_div_zero
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    NOT (
      (
        CAST(t1."total_revenue" AS DOUBLE) / NULLIF(CAST(t1."cart_items" AS DOUBLE), 0)
      ) > 1
    )
    OR (
      CAST(t1."total_revenue" AS DOUBLE) / NULLIF(CAST(t1."cart_items" AS DOUBLE), 0)
    ) IS NULL
  );

-- constructs/c_money
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."budget" >= 5000 AND t1."cart_value" < 99.50;

-- constructs/c_functions
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  LOWER(t1."country") = 'usa'
  AND UPPER(t1."state") = 'CA'
  AND LENGTH(t1."first_name") = 3;

-- constructs/c_abs_round
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  ABS((
    t1."cart_value" - 100
  )) < 60
  AND CASE
    WHEN CAST(CAST(t1."total_spent" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) < 0
    THEN -(
      CAST((
        FLOOR(
          ABS(
            CAST(CAST(t1."total_spent" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
          )
        ) + CASE
          WHEN ABS(
            CAST(CAST(t1."total_spent" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
          ) - FLOOR(
            ABS(
              CAST(CAST(t1."total_spent" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
            )
          ) >= 0.5
          THEN 1
          ELSE 0
        END
      ) / 1e1 AS DOUBLE)
    )
    ELSE CAST((
      FLOOR(
        ABS(
          CAST(CAST(t1."total_spent" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
        )
      ) + CASE
        WHEN ABS(
          CAST(CAST(t1."total_spent" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
        ) - FLOOR(
          ABS(
            CAST(CAST(t1."total_spent" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
          )
        ) >= 0.5
        THEN 1
        ELSE 0
      END
    ) / 1e1 AS DOUBLE)
  END > 10;

-- constructs/c_coalesce
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  COALESCE(t1."budget", t1."cart_value", 0) > 100;

-- constructs/c_date_parts
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    CAST(EXTRACT(MONTH FROM t1."birthday") AS BIGINT) = 11
    AND CAST(EXTRACT(ISODOW FROM t1."signup_date") AS BIGINT) IN (6, 7)
  )
  OR CAST(EXTRACT(YEAR FROM t1."signup_date") AS BIGINT) = 2025;

-- constructs/c_ago_ts
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_purchase" > MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
  AND t1."last_activity" < MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -7200000000);

-- constructs/c_ago_date
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."signup_date" < (
    CAST('2026-11-15' AS DATE) + -30
  )
  AND t1."signup_date" > (
    CAST('2026-11-15' AS DATE) + -400
  );

-- constructs/c_between_ago
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_activity" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -864000000000)
  AND t1."last_activity" <= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -259200000000);

-- constructs/c_in_last
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    t1."last_activity" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
    AND t1."last_activity" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
  )
  AND (
    t1."signup_date" > (
      CAST('2026-11-15' AS DATE) + -7
    )
    AND t1."signup_date" <= CAST('2026-11-15' AS DATE)
  );

-- constructs/c_calendar
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    t1."signup_date" >= CAST(DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)) AS DATE)
    AND t1."signup_date" < CAST(CAST(CAST(DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP) + INTERVAL '1' MONTH AS DATE)
  )
  OR (
    t1."last_open" >= CAST(CAST(CAST(CAST(DATE_TRUNC('QUARTER', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP) + INTERVAL '-3' MONTH AS DATE) AS TIMESTAMP)
    AND t1."last_open" < CAST(CAST(CAST(CAST(CAST(CAST(DATE_TRUNC('QUARTER', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP) + INTERVAL '-3' MONTH AS DATE) AS TIMESTAMP) + INTERVAL '3' MONTH AS DATE) AS TIMESTAMP)
  )
  OR (
    t1."birthday" >= CAST(DATE_TRUNC('YEAR', CAST('2026-11-15' AS DATE)) AS DATE)
    AND t1."birthday" < CAST(CAST(CAST(DATE_TRUNC('YEAR', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP) + INTERVAL '12' MONTH AS DATE)
  );

-- constructs/c_today
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_purchase_date" = CAST('2026-11-15' AS DATE)
  OR t1."last_activity" > CAST(CAST('2026-11-15' AS DATE) + -7 AS TIMESTAMP);

-- constructs/c_date_literals
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."signup_date" >= CAST('2026-01-01' AS DATE)
  AND t1."last_purchase" < CAST('2026-06-01 10:00:00' AS TIMESTAMP);

-- constructs/c_date_minus
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  DATE_DIFF('DAY', t1."last_purchase_date", CAST('2026-11-15' AS DATE)) > 60;

-- constructs/c_month_math
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."signup_date" > CAST(CAST(CAST('2026-11-15' AS DATE) AS TIMESTAMP) + INTERVAL '-1' MONTH AS DATE)
  AND t1."last_open" < (
    CAST('2026-11-15 12:00:00' AS TIMESTAMP) + INTERVAL '-3' MONTH
  );

-- constructs/c_before_after
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."signup_date" < CAST('2026-01-01' AS DATE)
  AND t1."last_open" > CAST('2026-01-01 00:00:00' AS TIMESTAMP);

-- constructs/c_anniversary
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    (
      CAST(EXTRACT(MONTH FROM t1."signup_date") AS BIGINT) = CAST(EXTRACT(MONTH FROM CAST('2026-11-15' AS DATE)) AS BIGINT)
      AND CAST(EXTRACT(DAY FROM t1."signup_date") AS BIGINT) = CAST(EXTRACT(DAY FROM CAST('2026-11-15' AS DATE)) AS BIGINT)
    )
    OR (
      CAST(EXTRACT(MONTH FROM t1."signup_date") AS BIGINT) = 2
      AND CAST(EXTRACT(DAY FROM t1."signup_date") AS BIGINT) = 29
      AND CAST(EXTRACT(MONTH FROM CAST('2026-11-15' AS DATE)) AS BIGINT) = 2
      AND CAST(EXTRACT(DAY FROM CAST('2026-11-15' AS DATE)) AS BIGINT) = 28
      AND CAST(EXTRACT(DAY FROM (
        CAST('2026-11-15' AS DATE) + 1
      )) AS BIGINT) = 1
    )
  )
  OR (
    (
      CAST(EXTRACT(MONTH FROM t1."birthday") AS BIGINT) = CAST(EXTRACT(MONTH FROM CAST('2026-11-15' AS DATE)) AS BIGINT)
      AND CAST(EXTRACT(DAY FROM t1."birthday") AS BIGINT) = CAST(EXTRACT(DAY FROM CAST('2026-11-15' AS DATE)) AS BIGINT)
    )
    OR (
      CAST(EXTRACT(MONTH FROM t1."birthday") AS BIGINT) = 2
      AND CAST(EXTRACT(DAY FROM t1."birthday") AS BIGINT) = 29
      AND CAST(EXTRACT(MONTH FROM CAST('2026-11-15' AS DATE)) AS BIGINT) = 2
      AND CAST(EXTRACT(DAY FROM CAST('2026-11-15' AS DATE)) AS BIGINT) = 28
      AND CAST(EXTRACT(DAY FROM (
        CAST('2026-11-15' AS DATE) + 1
      )) AS BIGINT) = 1
    )
  );

-- constructs/c_to_one
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
LEFT JOIN "organizations" AS t2
  ON t2."id" = t1."organization_id"
WHERE
  t2."industry" = 'Software' AND t2."employees" > 100;

-- constructs/c_to_one_null
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
LEFT JOIN "organizations" AS t2
  ON t2."id" = t1."organization_id"
WHERE
  t2."industry" IS NULL;

-- constructs/c_to_many
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "deals" AS t2
    WHERE
      NOT t2."contact_id" IS NULL AND t2."value" >= 10000
  )
  AND t1."id" IN (
    SELECT
      t3."contact_id"
    FROM "deals" AS t3
    WHERE
      NOT t3."contact_id" IS NULL AND t3."stage" = 'Negotiation'
  );

-- constructs/c_to_many_negated
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM "deals" AS t2
    WHERE
      t2."contact_id" = t1."id" AND t2."stage" = 'Won'
  );

-- constructs/c_to_many_null
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM "deals" AS t2
    WHERE
      t2."contact_id" = t1."id"
  )
  OR t1."id" IN (
    SELECT
      t3."contact_id"
    FROM "deals" AS t3
    WHERE
      NOT t3."contact_id" IS NULL AND t3."stage" IS NULL
  );

-- constructs/c_any
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "deals" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."value" >= 10000 AND t2."stage" = 'Negotiation'
      )
  );

-- constructs/c_all
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM "deals" AS t2
    WHERE
      t2."contact_id" = t1."id"
      AND (
        NOT (
          t2."stage" = 'Won'
        ) OR t2."stage" IS NULL
      )
  );

-- constructs/c_no
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM "deals" AS t2
    WHERE
      t2."contact_id" = t1."id" AND t2."stage" = 'Lost'
  )
  AND t1."id" IN (
    SELECT
      t3."contact_id"
    FROM "deals" AS t3
    WHERE
      NOT t3."contact_id" IS NULL
  );

-- constructs/c_count
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "deals" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
    GROUP BY
      t2."contact_id"
    HAVING
      COUNT(*) >= 2 AND COUNT(CASE WHEN t2."stage" = 'Won' THEN 1 END) = 0
  );

-- constructs/c_count_or
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "deals" AS t2
    WHERE
      NOT t2."contact_id" IS NULL AND (
        t2."stage" = 'Won' OR t2."stage" = 'Lost'
      )
    GROUP BY
      t2."contact_id"
    HAVING
      COUNT(CASE WHEN t2."stage" = 'Won' THEN 1 END) >= 1
      OR COALESCE(SUM(CASE WHEN t2."stage" = 'Lost' THEN t2."value" END), 0) > 10000
  );

-- constructs/c_count_or_empty
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "deals" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
    GROUP BY
      t2."contact_id"
    HAVING
      NOT (
        COUNT(CASE WHEN t2."stage" = 'Won' THEN 1 END) >= 2
        OR COALESCE(SUM(t2."value"), 0) > 50000
        OR NOT (
          COUNT(*) > 0
        )
      )
  );

-- constructs/c_sum_avg
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "deals" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
    GROUP BY
      t2."contact_id"
    HAVING
      COALESCE(SUM(t2."value"), 0) > 20000
  )
  OR (
    SELECT
      AVG(CAST(t3."value" AS DOUBLE))
    FROM "deals" AS t3
    WHERE
      t3."contact_id" = t1."id" AND t3."stage" = 'Won'
  ) > 5000;

-- constructs/c_min_max
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    SELECT
      MIN(t2."value")
    FROM "deals" AS t2
    WHERE
      t2."contact_id" = t1."id"
  ) < 1000
  AND (
    SELECT
      MAX(t3."closed_at")
    FROM "deals" AS t3
    WHERE
      t3."contact_id" = t1."id"
  ) < MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -7776000000000);

-- constructs/c_performed
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    WHERE
      NOT t2."contact_id" IS NULL AND t2."name" = 'purchase'
  );

-- constructs/c_performed_count
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."name" = 'email_opened'
        AND (
          t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -5184000000000)
          AND t2."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
        )
      )
    GROUP BY
      t2."contact_id"
    HAVING
      COUNT(*) >= 3
  );

-- constructs/c_performed_where
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."name" = 'purchase' AND t2."amount" > 100
      )
    GROUP BY
      t2."contact_id"
    HAVING
      NOT (
        COUNT(*) <= 2
      )
  );

-- constructs/c_performed_exact
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."name" = 'email_clicked'
        AND (
          t2."occurred_at" >= CAST(CAST(DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP)
          AND t2."occurred_at" < CAST(CAST(CAST(CAST(DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP) + INTERVAL '1' MONTH AS DATE) AS TIMESTAMP)
        )
      )
    GROUP BY
      t2."contact_id"
    HAVING
      COUNT(*) = 1
  );

-- constructs/c_performed_fewer
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    WHERE
      NOT t2."contact_id" IS NULL AND t2."name" = 'email_opened'
    GROUP BY
      t2."contact_id"
    HAVING
      NOT (
        COUNT(*) < 2
      )
  );

-- constructs/c_did_not
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM "events" AS t2
    WHERE
      t2."contact_id" = t1."id"
      AND (
        t2."name" = 'purchase'
        AND (
          t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -7776000000000)
          AND t2."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
        )
      )
  );

-- constructs/c_performed_between
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."name" = 'page_view'
        AND (
          t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -5184000000000)
          AND t2."occurred_at" <= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
        )
      )
  );

-- constructs/c_sequence
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    INNER JOIN "events" AS t3
      ON t3."contact_id" = t2."contact_id"
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."name" = 'trial_started'
        AND (
          t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -7776000000000)
          AND t2."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
        )
      )
      AND (
        t3."name" = 'purchase'
        AND (
          t3."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -7776000000000)
          AND t3."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
        )
      )
      AND NOT t3."id" = t2."id"
      AND t3."occurred_at" >= t2."occurred_at"
      AND t3."occurred_at" <= MAKE_TIMESTAMP(EPOCH_US(t2."occurred_at") + 1209600000000)
  );

-- constructs/c_sequence_where
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    INNER JOIN "events" AS t3
      ON t3."contact_id" = t2."contact_id"
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."name" = 'email_opened' AND t2."amount" > 0
      )
      AND (
        t3."name" = 'purchase' AND t3."amount" > 100
      )
      AND NOT t3."id" = t2."id"
      AND t3."occurred_at" >= t2."occurred_at"
      AND t3."occurred_at" <= MAKE_TIMESTAMP(EPOCH_US(t2."occurred_at") + 7200000000)
  );

-- constructs/c_sequence_count
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    INNER JOIN "events" AS t3
      ON t3."contact_id" = t2."contact_id"
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."name" = 'email_opened'
        AND (
          t2."occurred_at" >= CAST(CAST(DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP)
          AND t2."occurred_at" < CAST(CAST(CAST(CAST(DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP) + INTERVAL '1' MONTH AS DATE) AS TIMESTAMP)
        )
      )
      AND (
        t3."name" = 'email_clicked'
        AND (
          t3."occurred_at" >= CAST(CAST(DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP)
          AND t3."occurred_at" < CAST(CAST(CAST(CAST(DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP) + INTERVAL '1' MONTH AS DATE) AS TIMESTAMP)
        )
      )
      AND NOT t3."id" = t2."id"
      AND t3."occurred_at" >= t2."occurred_at"
    GROUP BY
      t2."contact_id"
    HAVING
      COUNT(DISTINCT t2."id") >= 2
  );

-- constructs/c_sequence_not
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    INNER JOIN "events" AS t3
      ON t3."contact_id" = t2."contact_id"
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."name" = 'trial_started'
        AND (
          t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -5184000000000)
          AND t2."occurred_at" <= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
        )
      )
      AND (
        t3."name" = 'purchase'
        AND (
          t3."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -5184000000000)
          AND t3."occurred_at" <= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
        )
      )
      AND NOT t3."id" = t2."id"
      AND t3."occurred_at" >= t2."occurred_at"
      AND t3."occurred_at" <= (
        t2."occurred_at" + INTERVAL '1' MONTH
      )
  );

-- constructs/c_calculated
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    CAST(t1."total_revenue" AS DOUBLE) / NULLIF(CAST(t1."order_count" AS DOUBLE), 0)
  ) > 50
  AND (
    (
      (
        t1."opens" * 2
      ) + (
        t1."clicks" * 5
      )
    ) + (
      t1."purchases" * 10
    )
  ) >= 30;

-- constructs/c_let
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    t1."opens" + (
      t1."clicks" * 2
    )
  ) > 20
  AND (
    t1."opens" + (
      t1."clicks" * 2
    )
  ) < 50;

-- constructs/c_segment_ref
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    t1."opens" >= 5
    AND t1."clicks" < 3
    AND (
      NOT (
        t1."lifetime_value" = 100.5
      ) OR t1."lifetime_value" IS NULL
    )
  )
  AND (
    (
      NOT (
        t1."is_vip" = TRUE
      ) OR t1."is_vip" IS NULL
    )
    OR t1."welcome_email_sent" = TRUE
  );

-- constructs/c_list
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."member_key"
    FROM "list_members" AS t2
    WHERE
      t2."list_slug" = 'vip_customers' AND NOT t2."member_key" IS NULL
  )
  OR t1."id" IN (
    SELECT
      t3."member_key"
    FROM "list_members" AS t3
    WHERE
      t3."list_slug" = 'beta_testers' AND NOT t3."member_key" IS NULL
  );

-- constructs/c_nested
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    (
      t1."country" = 'USA' OR t1."country" = 'Canada'
    )
    AND (
      (
        NOT (
          t1."opens" < 3
        ) OR t1."opens" IS NULL
      )
      AND (
        NOT (
          t1."clicks" < 1
        ) OR t1."clicks" IS NULL
      )
    )
  )
  OR t1."is_vip" = TRUE;

-- constructs/c_names
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_purchase" < MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -864000000000)
  AND t1."country" = 'France';

-- constructs/c_unicode
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."first_name" = 'Zoë'
  OR LOWER(t1."first_name") LIKE '%é%' ESCAPE '!'
  OR t1."first_name" = '李';

-- constructs/c_quotes
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    NOT (
      t1."email" = 'o''brien"s@x.com'
    ) OR t1."email" IS NULL
  )
  AND (
    NOT (
      LOWER(t1."job_title") LIKE '%\%' ESCAPE '!'
    ) OR t1."job_title" IS NULL
  );

-- constructs/c_static
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."member_key"
    FROM "list_members" AS t2
    WHERE
      t2."list_slug" = 'c_static' AND NOT t2."member_key" IS NULL
  );

-- seed002/company_employees
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  LOWER(t1."email") LIKE '%@company.com%' ESCAPE '!';

-- seed002/complex_example
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    t1."location" = 'USA' OR t1."location" = 'Canada'
  )
  AND t1."last_purchase" < MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
  AND t1."total_spent" > 500
  AND t1."email_opens" > 5;

-- seed002/highly_engaged
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        (
          t2."name" = 'email_opened'
          AND (
            t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
            AND t2."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
          )
        )
        OR (
          t2."name" = 'email_clicked'
          AND (
            t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
            AND t2."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
          )
        )
      )
    GROUP BY
      t2."contact_id"
    HAVING
      COUNT(
        CASE
          WHEN t2."name" = 'email_opened'
          AND (
            t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
            AND t2."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
          )
          THEN 1
        END
      ) >= 5
      AND COUNT(
        CASE
          WHEN t2."name" = 'email_clicked'
          AND (
            t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
            AND t2."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
          )
          THEN 1
        END
      ) >= 2
  );

-- seed002/at_risk
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        (
          t2."name" = 'email_opened'
          AND (
            t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -5184000000000)
            AND t2."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
          )
        )
        OR t2."name" = 'email_opened'
      )
    GROUP BY
      t2."contact_id"
    HAVING
      COUNT(
        CASE
          WHEN t2."name" = 'email_opened'
          AND (
            t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -5184000000000)
            AND t2."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
          )
          THEN 1
        END
      ) < 2
      AND COUNT(CASE WHEN t2."name" = 'email_opened' THEN 1 END) > 5
  )
  AND t1."subscribed_at" < MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -7776000000000);

-- seed002/never_engaged
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."opens" = 0
  AND t1."subscribed_at" < MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000);

-- seed002/recent_purchasers
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_purchase" > MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -604800000000);

-- seed002/cart_abandoners
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."cart_value" > 0
  AND t1."last_purchase" IS NULL
  AND t1."last_activity" > MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -86400000000);

-- seed002/browse_abandoners
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."products_viewed" > 3
  AND t1."cart_items" = 0
  AND t1."last_visit" > MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -172800000000);

-- seed002/geographic
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."country" = 'USA'
  AND t1."state" IN ('CA', 'NY', 'TX')
  AND t1."timezone" = 'PST';

-- seed002/birthday_month
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  CAST(EXTRACT(MONTH FROM t1."birthday") AS BIGINT) = CAST(EXTRACT(MONTH FROM CAST('2026-11-15' AS DATE)) AS BIGINT);

-- seed002/customer_lifecycle
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."signup_date" < (
    CAST('2026-11-15' AS DATE) + -365
  )
  AND t1."customer_tier" = 'Gold';

-- seed002/nested_example
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    (
      t1."product_interest" = 'Software'
      AND LOWER(t1."job_title") LIKE '%developer%' ESCAPE '!'
    )
    OR (
      t1."product_interest" = 'Marketing'
      AND LOWER(t1."job_title") LIKE '%marketing%' ESCAPE '!'
    )
  )
  AND (
    t1."company_size" > 100 OR t1."budget" > 10000
  );

-- seed002/rolling_window
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_activity" > CAST(CAST('2026-11-15' AS DATE) + -30 AS TIMESTAMP);

-- seed002/signup_anniversary
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    CAST(EXTRACT(MONTH FROM t1."signup_date") AS BIGINT) = CAST(EXTRACT(MONTH FROM CAST('2026-11-15' AS DATE)) AS BIGINT)
    AND CAST(EXTRACT(DAY FROM t1."signup_date") AS BIGINT) = CAST(EXTRACT(DAY FROM CAST('2026-11-15' AS DATE)) AS BIGINT)
  )
  OR (
    CAST(EXTRACT(MONTH FROM t1."signup_date") AS BIGINT) = 2
    AND CAST(EXTRACT(DAY FROM t1."signup_date") AS BIGINT) = 29
    AND CAST(EXTRACT(MONTH FROM CAST('2026-11-15' AS DATE)) AS BIGINT) = 2
    AND CAST(EXTRACT(DAY FROM CAST('2026-11-15' AS DATE)) AS BIGINT) = 28
    AND CAST(EXTRACT(DAY FROM (
      CAST('2026-11-15' AS DATE) + 1
    )) AS BIGINT) = 1
  );

-- seed002/holiday_season
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  CAST(EXTRACT(MONTH FROM CAST('2026-11-15' AS DATE)) AS BIGINT) IN (11, 12);

-- seed002/calculated_fields
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    CAST(t1."total_revenue" AS DOUBLE) / NULLIF(CAST(t1."order_count" AS DOUBLE), 0)
  ) > 50
  AND (
    (
      (
        t1."opens" * 2
      ) + (
        t1."clicks" * 5
      )
    ) + (
      t1."purchases" * 10
    )
  ) >= 40
  AND DATE_DIFF('DAY', t1."last_purchase_date", CAST('2026-11-15' AS DATE)) > 30;

-- seed002/welcome_series
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."subscribed_at" > MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -604800000000)
  AND t1."welcome_email_sent" = FALSE;

-- seed002/win_back
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_purchase" < MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -15552000000000)
  AND t1."previous_customer" = TRUE;

-- seed002/top_tier
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."lifetime_value" > 1000
  OR t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."name" = 'purchase'
        AND (
          t2."occurred_at" >= (
            CAST('2026-11-15 12:00:00' AS TIMESTAMP) + INTERVAL '-12' MONTH
          )
          AND t2."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
        )
      )
    GROUP BY
      t2."contact_id"
    HAVING
      COUNT(*) > 5
  );

-- seed002/inactive
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_open" < MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -7776000000000)
  AND t1."subscription_status" = 'Active';

-- seed002/active_last_30_days
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."name" = 'email_opened'
        AND (
          t2."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
          AND t2."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
        )
      )
  );

-- seed002/purchased_this_week
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "events" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."name" = 'purchase'
        AND (
          t2."occurred_at" >= CAST(CAST(DATE_TRUNC('WEEK', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP)
          AND t2."occurred_at" < CAST(CAST(DATE_TRUNC('WEEK', CAST('2026-11-15' AS DATE)) AS DATE) + 7 AS TIMESTAMP)
        )
      )
  );

-- seed002/engaged_vips
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."member_key"
    FROM "list_members" AS t2
    WHERE
      t2."list_slug" = 'vip_customers' AND NOT t2."member_key" IS NULL
  )
  AND (
    t1."id" IN (
      SELECT
        t3."contact_id"
      FROM "events" AS t3
      WHERE
        NOT t3."contact_id" IS NULL
        AND (
          t3."name" = 'email_opened'
          AND (
            t3."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
            AND t3."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
          )
        )
    )
  );

-- seed002/non_purchasers
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT t1."subscription_status" IS NULL
  AND (
    NOT EXISTS(
      SELECT
        1
      FROM "events" AS t2
      WHERE
        t2."contact_id" = t1."id"
        AND (
          t2."name" = 'purchase'
          AND (
            t2."occurred_at" >= CAST(CAST(DATE_TRUNC('WEEK', CAST('2026-11-15' AS DATE)) AS DATE) AS TIMESTAMP)
            AND t2."occurred_at" < CAST(CAST(DATE_TRUNC('WEEK', CAST('2026-11-15' AS DATE)) AS DATE) + 7 AS TIMESTAMP)
          )
        )
    )
  );

-- seed002/api_high_value_active
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."lifetime_value" > 500
  AND (
    t1."last_activity" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
    AND t1."last_activity" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
  );

-- seed002/vip_customers
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."member_key"
    FROM "list_members" AS t2
    WHERE
      t2."list_slug" = 'vip_customers' AND NOT t2."member_key" IS NULL
  );

-- seed002/beta_testers
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."member_key"
    FROM "list_members" AS t2
    WHERE
      t2."list_slug" = 'beta_testers' AND NOT t2."member_key" IS NULL
  );

-- spec_example/spec_high_value_prospects
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
LEFT JOIN "organizations" AS t3
  ON t3."id" = t1."organization_id"
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "deals" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."value" >= 10000 AND t2."stage" = 'Negotiation'
      )
  )
  AND t3."industry" IN ('Software', 'Fintech')
  AND t1."last_purchase" > MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
  AND t1."id" IN (
    SELECT
      t4."contact_id"
    FROM "events" AS t4
    WHERE
      NOT t4."contact_id" IS NULL
      AND (
        t4."name" = 'purchase'
        AND t4."amount" > 100
        AND (
          t4."occurred_at" >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -7776000000000)
          AND t4."occurred_at" <= CAST('2026-11-15 12:00:00' AS TIMESTAMP)
        )
      )
    GROUP BY
      t4."contact_id"
    HAVING
      COUNT(*) >= 2
  )
  AND (
    CAST(t1."lifetime_value" AS DOUBLE) / NULLIF(CAST(t1."order_count" AS DOUBLE), 0)
  ) > 50
  AND (
    (
      NOT (
        t1."last_activity" < MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -5184000000000)
      )
      OR t1."last_activity" IS NULL
    )
    AND NOT t1."last_activity" IS NULL
  );

-- spec_example/beta_testers_spec
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."member_key"
    FROM "list_members" AS t2
    WHERE
      t2."list_slug" = 'beta_testers_spec' AND NOT t2."member_key" IS NULL
  );

-- high_value_prospects/high_value_prospects
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
LEFT JOIN "organizations" AS t3
  ON t3."id" = t1."organization_id"
WHERE
  t1."id" IN (
    SELECT
      t2."contact_id"
    FROM "deals" AS t2
    WHERE
      NOT t2."contact_id" IS NULL
      AND (
        t2."value" >= 10000 AND t2."stage" = 'Negotiation'
      )
  )
  AND t3."industry" IN ('Software', 'Fintech')
  AND (
    CAST(t1."total_revenue" AS DOUBLE) / NULLIF(CAST(t1."order_count" AS DOUBLE), 0)
  ) > 50
  AND (
    (
      NOT (
        t1."last_activity" < MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -5184000000000)
      )
      OR t1."last_activity" IS NULL
    )
    AND NOT t1."last_activity" IS NULL
  );

-- high_value_prospects/churned
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_activity" < MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -5184000000000)
  OR t1."last_activity" IS NULL;

-- high_value_prospects/vip_customers
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."id" IN (
    SELECT
      t2."member_key"
    FROM "list_members" AS t2
    WHERE
      t2."list_slug" = 'vip_customers' AND NOT t2."member_key" IS NULL
  );

-- constructs/c_ago_ts evaluated when the SQL runs (no --now)
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_purchase" > MAKE_TIMESTAMP(EPOCH_US(CURRENT_TIMESTAMP AT TIME ZONE 'UTC') + -2592000000000)
  AND t1."last_activity" < MAKE_TIMESTAMP(EPOCH_US(CURRENT_TIMESTAMP AT TIME ZONE 'UTC') + -7200000000);

-- instants/i_last30 on seen_at in UTC
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  TIMEZONE('UTC', t1."seen_at") >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
  AND TIMEZONE('UTC', t1."seen_at") <= CAST('2026-11-15 12:00:00' AS TIMESTAMP);

-- instants/i_last30 on seen_s in UTC
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  MAKE_TIMESTAMP(t1."seen_s" * 1000000) >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
  AND MAKE_TIMESTAMP(t1."seen_s" * 1000000) <= CAST('2026-11-15 12:00:00' AS TIMESTAMP);

-- instants/i_last30 on seen_ms in UTC
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  MAKE_TIMESTAMP(t1."seen_ms" * 1000) >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
  AND MAKE_TIMESTAMP(t1."seen_ms" * 1000) <= CAST('2026-11-15 12:00:00' AS TIMESTAMP);

-- instants/i_last30 on seen_us in UTC
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  MAKE_TIMESTAMP(t1."seen_micros") >= MAKE_TIMESTAMP(EPOCH_US(CAST('2026-11-15 12:00:00' AS TIMESTAMP)) + -2592000000000)
  AND MAKE_TIMESTAMP(t1."seen_micros") <= CAST('2026-11-15 12:00:00' AS TIMESTAMP);

-- instants/i_2h on seen_at in UTC (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  TIMEZONE('UTC', t1."seen_at") > MAKE_TIMESTAMP(EPOCH_US(CURRENT_TIMESTAMP AT TIME ZONE 'UTC') + -7200000000);

-- instants/i_2h on seen_s in UTC (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  MAKE_TIMESTAMP(t1."seen_s" * 1000000) > MAKE_TIMESTAMP(EPOCH_US(CURRENT_TIMESTAMP AT TIME ZONE 'UTC') + -7200000000);

-- instants/i_2h on seen_ms in UTC (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  MAKE_TIMESTAMP(t1."seen_ms" * 1000) > MAKE_TIMESTAMP(EPOCH_US(CURRENT_TIMESTAMP AT TIME ZONE 'UTC') + -7200000000);

-- instants/i_2h on seen_us in UTC (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  MAKE_TIMESTAMP(t1."seen_micros") > MAKE_TIMESTAMP(EPOCH_US(CURRENT_TIMESTAMP AT TIME ZONE 'UTC') + -7200000000);

-- instants/i_today on seen_at in America/New_York
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  CAST(TIMEZONE('America/New_York', t1."seen_at") AS DATE) = CAST('2026-11-15' AS DATE);

-- instants/i_today on seen_s in America/New_York
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  CAST(TIMEZONE('America/New_York', TIMEZONE('UTC', MAKE_TIMESTAMP(t1."seen_s" * 1000000))) AS DATE) = CAST('2026-11-15' AS DATE);

-- instants/i_today on seen_ms in America/New_York
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  CAST(TIMEZONE('America/New_York', TIMEZONE('UTC', MAKE_TIMESTAMP(t1."seen_ms" * 1000))) AS DATE) = CAST('2026-11-15' AS DATE);

-- instants/i_today on seen_us in America/New_York
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  CAST(TIMEZONE('America/New_York', TIMEZONE('UTC', MAKE_TIMESTAMP(t1."seen_micros"))) AS DATE) = CAST('2026-11-15' AS DATE);

-- instants/i_this_week on seen_at in America/New_York (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  TIMEZONE('America/New_York', t1."seen_at") >= CAST(CAST(DATE_TRUNC('WEEK', CAST(CURRENT_TIMESTAMP AT TIME ZONE 'America/New_York' AS DATE)) AS DATE) AS TIMESTAMP)
  AND TIMEZONE('America/New_York', t1."seen_at") < CAST(CAST(DATE_TRUNC('WEEK', CAST(CURRENT_TIMESTAMP AT TIME ZONE 'America/New_York' AS DATE)) AS DATE) + 7 AS TIMESTAMP);

-- instants/i_this_week on seen_s in America/New_York (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  TIMEZONE('America/New_York', TIMEZONE('UTC', MAKE_TIMESTAMP(t1."seen_s" * 1000000))) >= CAST(CAST(DATE_TRUNC('WEEK', CAST(CURRENT_TIMESTAMP AT TIME ZONE 'America/New_York' AS DATE)) AS DATE) AS TIMESTAMP)
  AND TIMEZONE('America/New_York', TIMEZONE('UTC', MAKE_TIMESTAMP(t1."seen_s" * 1000000))) < CAST(CAST(DATE_TRUNC('WEEK', CAST(CURRENT_TIMESTAMP AT TIME ZONE 'America/New_York' AS DATE)) AS DATE) + 7 AS TIMESTAMP);

-- instants/i_this_week on seen_ms in America/New_York (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  TIMEZONE('America/New_York', TIMEZONE('UTC', MAKE_TIMESTAMP(t1."seen_ms" * 1000))) >= CAST(CAST(DATE_TRUNC('WEEK', CAST(CURRENT_TIMESTAMP AT TIME ZONE 'America/New_York' AS DATE)) AS DATE) AS TIMESTAMP)
  AND TIMEZONE('America/New_York', TIMEZONE('UTC', MAKE_TIMESTAMP(t1."seen_ms" * 1000))) < CAST(CAST(DATE_TRUNC('WEEK', CAST(CURRENT_TIMESTAMP AT TIME ZONE 'America/New_York' AS DATE)) AS DATE) + 7 AS TIMESTAMP);

-- instants/i_this_week on seen_us in America/New_York (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  TIMEZONE('America/New_York', TIMEZONE('UTC', MAKE_TIMESTAMP(t1."seen_micros"))) >= CAST(CAST(DATE_TRUNC('WEEK', CAST(CURRENT_TIMESTAMP AT TIME ZONE 'America/New_York' AS DATE)) AS DATE) AS TIMESTAMP)
  AND TIMEZONE('America/New_York', TIMEZONE('UTC', MAKE_TIMESTAMP(t1."seen_micros"))) < CAST(CAST(DATE_TRUNC('WEEK', CAST(CURRENT_TIMESTAMP AT TIME ZONE 'America/New_York' AS DATE)) AS DATE) + 7 AS TIMESTAMP);
