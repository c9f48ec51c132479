-- segql golden SQL for clickhouse (now pinned to 2026-11-15T12:00:00Z); review every change

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
  t1."country" IS NULL
  OR (
    NOT (
      t1."email" IS NULL
    ) AND t1."state" IS NULL
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
    NOT (
      t1."job_title" IS NULL
    )
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
  positionUTF8(lowerUTF8(REPLACE(REPLACE(t1."email", 'İ', 'i'), 'Σ', 'σ')), '100%_real') > 0
  OR startsWith(lowerUTF8(REPLACE(REPLACE(t1."job_title", 'İ', 'i'), 'Σ', 'σ')), 'senior')
  OR endsWith(lowerUTF8(REPLACE(REPLACE(t1."email", 'İ', 'i'), 'Σ', 'σ')), '.org');

-- constructs/c_not_contains
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    NOT (
      positionUTF8(lowerUTF8(REPLACE(REPLACE(t1."email", 'İ', 'i'), 'Σ', 'σ')), '@company.com') > 0
    )
    OR t1."email" IS NULL
  )
  AND (
    NOT (
      startsWith(lowerUTF8(REPLACE(REPLACE(t1."job_title", 'İ', 'i'), 'Σ', 'σ')), 'ceo')
    )
    OR t1."job_title" IS NULL
  );

-- constructs/c_matches
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  match(t1."email", '^[a-z]+\\.[0-9]+@')
  OR match(t1."job_title", '[dD][eE][vV][eE][lL][oO][pP][eE][rR]$');

-- constructs/c_not_matches
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    NOT (
      match(t1."email", 'gmail')
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
        toDecimal128(t1."opens", 0) * 2
      ) + (
        toDecimal128(t1."clicks", 0) * 5
      )
    ) - t1."purchases"
  ) > 20
  AND (
    toFloat64(t1."total_revenue") / nullIf(toFloat64(t1."order_count"), 0)
  ) > 100;

-- constructs/c_div_zero
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    NOT (
      (
        toFloat64(t1."total_revenue") / nullIf(toFloat64(t1."cart_items"), 0)
      ) > 1
    )
    OR (
      toFloat64(t1."total_revenue") / nullIf(toFloat64(t1."cart_items"), 0)
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
  lowerUTF8(REPLACE(REPLACE(t1."country", 'İ', 'i'), 'Σ', 'σ')) = 'usa'
  AND upperUTF8(t1."state") = 'CA'
  AND lengthUTF8(t1."first_name") = 3;

-- constructs/c_abs_round
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  ABS((
    t1."cart_value" - 100
  )) < 60
  AND CASE
    WHEN toFloat64(toFloat64(t1."total_spent") / nullIf(toFloat64(7), 0)) < 0
    THEN -(
      toFloat64(
        (
          FLOOR(ABS(toFloat64(toFloat64(t1."total_spent") / nullIf(toFloat64(7), 0)) * 1e1)) + CASE
            WHEN ABS(toFloat64(toFloat64(t1."total_spent") / nullIf(toFloat64(7), 0)) * 1e1) - FLOOR(ABS(toFloat64(toFloat64(t1."total_spent") / nullIf(toFloat64(7), 0)) * 1e1)) >= 0.5
            THEN 1
            ELSE 0
          END
        ) / 1e1
      )
    )
    ELSE toFloat64(
      (
        FLOOR(ABS(toFloat64(toFloat64(t1."total_spent") / nullIf(toFloat64(7), 0)) * 1e1)) + CASE
          WHEN ABS(toFloat64(toFloat64(t1."total_spent") / nullIf(toFloat64(7), 0)) * 1e1) - FLOOR(ABS(toFloat64(toFloat64(t1."total_spent") / nullIf(toFloat64(7), 0)) * 1e1)) >= 0.5
          THEN 1
          ELSE 0
        END
      ) / 1e1
    )
  END > 10;

-- constructs/c_coalesce
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  COALESCE(t1."budget", t1."cart_value", toFloat64(0)) > 100;

-- constructs/c_date_parts
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    toInt32(toMonth(t1."birthday")) = 11
    AND toInt32(toDayOfWeek(t1."signup_date")) IN (6, 7)
  )
  OR toInt32(toYear(t1."signup_date")) = 2025;

-- constructs/c_ago_ts
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_purchase" > addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
  AND t1."last_activity" < addHours(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -2);

-- constructs/c_ago_date
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."signup_date" < toDate32(addDays(toDate32('2026-11-15'), -30))
  AND t1."signup_date" > toDate32(addDays(toDate32('2026-11-15'), -400));

-- constructs/c_between_ago
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_activity" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -10)
  AND t1."last_activity" <= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -3);

-- constructs/c_in_last
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    t1."last_activity" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
    AND t1."last_activity" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
  )
  AND (
    t1."signup_date" > toDate32(addDays(toDate32('2026-11-15'), -7))
    AND t1."signup_date" <= toDate32('2026-11-15')
  );

-- constructs/c_calendar
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    t1."signup_date" >= toDate32(dateTrunc('MONTH', toDate32('2026-11-15')))
    AND t1."signup_date" < toDate32(addMonths(toDate32(dateTrunc('MONTH', toDate32('2026-11-15'))), 1))
  )
  OR (
    t1."last_open" >= toDateTime64(
      toDate32(addMonths(toDate32(dateTrunc('QUARTER', toDate32('2026-11-15'))), -3)),
      6,
      'UTC'
    )
    AND t1."last_open" < toDateTime64(
      toDate32(
        addMonths(toDate32(addMonths(toDate32(dateTrunc('QUARTER', toDate32('2026-11-15'))), -3)), 3)
      ),
      6,
      'UTC'
    )
  )
  OR (
    t1."birthday" >= toDate32(dateTrunc('YEAR', toDate32('2026-11-15')))
    AND t1."birthday" < toDate32(addMonths(toDate32(dateTrunc('YEAR', toDate32('2026-11-15'))), 12))
  );

-- constructs/c_today
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_purchase_date" = toDate32('2026-11-15')
  OR t1."last_activity" > toDateTime64(toDate32(addDays(toDate32('2026-11-15'), -7)), 6, 'UTC');

-- constructs/c_date_literals
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."signup_date" >= toDate32('2026-01-01')
  AND t1."last_purchase" < toDateTime64('2026-06-01 10:00:00', 6, 'UTC');

-- constructs/c_date_minus
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  DATE_DIFF(DAY, t1."last_purchase_date", toDate32('2026-11-15')) > 60;

-- constructs/c_month_math
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."signup_date" > toDate32(addMonths(toDate32('2026-11-15'), -1))
  AND t1."last_open" < addMonths(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -3);

-- constructs/c_before_after
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."signup_date" < toDate32('2026-01-01')
  AND t1."last_open" > toDateTime64('2026-01-01 00:00:00', 6, 'UTC');

-- constructs/c_anniversary
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    (
      toInt32(toMonth(t1."signup_date")) = toInt32(toMonth(toDate32('2026-11-15')))
      AND toInt32(toDayOfMonth(t1."signup_date")) = toInt32(toDayOfMonth(toDate32('2026-11-15')))
    )
    OR (
      toInt32(toMonth(t1."signup_date")) = 2
      AND toInt32(toDayOfMonth(t1."signup_date")) = 29
      AND toInt32(toMonth(toDate32('2026-11-15'))) = 2
      AND toInt32(toDayOfMonth(toDate32('2026-11-15'))) = 28
      AND toInt32(toDayOfMonth(toDate32(addDays(toDate32('2026-11-15'), 1)))) = 1
    )
  )
  OR (
    (
      toInt32(toMonth(t1."birthday")) = toInt32(toMonth(toDate32('2026-11-15')))
      AND toInt32(toDayOfMonth(t1."birthday")) = toInt32(toDayOfMonth(toDate32('2026-11-15')))
    )
    OR (
      toInt32(toMonth(t1."birthday")) = 2
      AND toInt32(toDayOfMonth(t1."birthday")) = 29
      AND toInt32(toMonth(toDate32('2026-11-15'))) = 2
      AND toInt32(toDayOfMonth(toDate32('2026-11-15'))) = 28
      AND toInt32(toDayOfMonth(toDate32(addDays(toDate32('2026-11-15'), 1)))) = 1
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
      NOT (
        t2."contact_id" IS NULL
      ) AND t2."value" >= 10000
  )
  AND t1."id" IN (
    SELECT
      t3."contact_id"
    FROM "deals" AS t3
    WHERE
      NOT (
        t3."contact_id" IS NULL
      ) AND t3."stage" = 'Negotiation'
  );

-- constructs/c_to_many_negated
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT (
    t1."id" IN (
      SELECT
        t2."contact_id"
      FROM "deals" AS t2
      WHERE
        NOT (
          t2."contact_id" IS NULL
        ) AND t2."stage" = 'Won'
    )
  );

-- constructs/c_to_many_null
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT (
    t1."id" IN (
      SELECT
        t2."contact_id"
      FROM "deals" AS t2
      WHERE
        NOT (
          t2."contact_id" IS NULL
        )
    )
  )
  OR t1."id" IN (
    SELECT
      t3."contact_id"
    FROM "deals" AS t3
    WHERE
      NOT (
        t3."contact_id" IS NULL
      ) AND t3."stage" IS NULL
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."value" >= 10000 AND t2."stage" = 'Negotiation'
      )
  );

-- constructs/c_all
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT (
    t1."id" IN (
      SELECT
        t2."contact_id"
      FROM "deals" AS t2
      WHERE
        NOT (
          t2."contact_id" IS NULL
        )
        AND (
          NOT (
            t2."stage" = 'Won'
          ) OR t2."stage" IS NULL
        )
    )
  );

-- constructs/c_no
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT (
    t1."id" IN (
      SELECT
        t2."contact_id"
      FROM "deals" AS t2
      WHERE
        NOT (
          t2."contact_id" IS NULL
        ) AND t2."stage" = 'Lost'
    )
  )
  AND t1."id" IN (
    SELECT
      t3."contact_id"
    FROM "deals" AS t3
    WHERE
      NOT (
        t3."contact_id" IS NULL
      )
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
      NOT (
        t2."contact_id" IS NULL
      )
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
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
  NOT (
    t1."id" IN (
      SELECT
        t2."contact_id"
      FROM "deals" AS t2
      WHERE
        NOT (
          t2."contact_id" IS NULL
        )
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
      NOT (
        t2."contact_id" IS NULL
      )
    GROUP BY
      t2."contact_id"
    HAVING
      COALESCE(SUM(t2."value"), 0) > 20000
  )
  OR (
    SELECT
      AVG(toFloat64(t3."value"))
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
  ) < addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -90);

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
      NOT (
        t2."contact_id" IS NULL
      ) AND t2."name" = 'purchase'
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."name" = 'email_opened'
        AND (
          t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -60)
          AND t2."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
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
  NOT (
    t1."id" IN (
      SELECT
        t2."contact_id"
      FROM "events" AS t2
      WHERE
        NOT (
          t2."contact_id" IS NULL
        )
        AND (
          t2."name" = 'purchase' AND t2."amount" > 100
        )
      GROUP BY
        t2."contact_id"
      HAVING
        NOT (
          COUNT(*) <= 2
        )
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."name" = 'email_clicked'
        AND (
          t2."occurred_at" >= toDateTime64(toDate32(dateTrunc('MONTH', toDate32('2026-11-15'))), 6, 'UTC')
          AND t2."occurred_at" < toDateTime64(
            toDate32(addMonths(toDate32(dateTrunc('MONTH', toDate32('2026-11-15'))), 1)),
            6,
            'UTC'
          )
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
  NOT (
    t1."id" IN (
      SELECT
        t2."contact_id"
      FROM "events" AS t2
      WHERE
        NOT (
          t2."contact_id" IS NULL
        ) AND t2."name" = 'email_opened'
      GROUP BY
        t2."contact_id"
      HAVING
        NOT (
          COUNT(*) < 2
        )
    )
  );

-- constructs/c_did_not
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT (
    t1."id" IN (
      SELECT
        t2."contact_id"
      FROM "events" AS t2
      WHERE
        NOT (
          t2."contact_id" IS NULL
        )
        AND (
          t2."name" = 'purchase'
          AND (
            t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -90)
            AND t2."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
          )
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."name" = 'page_view'
        AND (
          t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -60)
          AND t2."occurred_at" <= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."name" = 'trial_started'
        AND (
          t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -90)
          AND t2."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
        )
      )
      AND (
        t3."name" = 'purchase'
        AND (
          t3."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -90)
          AND t3."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
        )
      )
      AND NOT t3."id" = t2."id"
      AND t3."occurred_at" >= t2."occurred_at"
      AND t3."occurred_at" <= addDays(t2."occurred_at", 14)
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."name" = 'email_opened' AND t2."amount" > 0
      )
      AND (
        t3."name" = 'purchase' AND t3."amount" > 100
      )
      AND NOT t3."id" = t2."id"
      AND t3."occurred_at" >= t2."occurred_at"
      AND t3."occurred_at" <= addHours(t2."occurred_at", 2)
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."name" = 'email_opened'
        AND (
          t2."occurred_at" >= toDateTime64(toDate32(dateTrunc('MONTH', toDate32('2026-11-15'))), 6, 'UTC')
          AND t2."occurred_at" < toDateTime64(
            toDate32(addMonths(toDate32(dateTrunc('MONTH', toDate32('2026-11-15'))), 1)),
            6,
            'UTC'
          )
        )
      )
      AND (
        t3."name" = 'email_clicked'
        AND (
          t3."occurred_at" >= toDateTime64(toDate32(dateTrunc('MONTH', toDate32('2026-11-15'))), 6, 'UTC')
          AND t3."occurred_at" < toDateTime64(
            toDate32(addMonths(toDate32(dateTrunc('MONTH', toDate32('2026-11-15'))), 1)),
            6,
            'UTC'
          )
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
  NOT (
    t1."id" IN (
      SELECT
        t2."contact_id"
      FROM "events" AS t2
      INNER JOIN "events" AS t3
        ON t3."contact_id" = t2."contact_id"
      WHERE
        NOT (
          t2."contact_id" IS NULL
        )
        AND (
          t2."name" = 'trial_started'
          AND (
            t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -60)
            AND t2."occurred_at" <= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
          )
        )
        AND (
          t3."name" = 'purchase'
          AND (
            t3."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -60)
            AND t3."occurred_at" <= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
          )
        )
        AND NOT t3."id" = t2."id"
        AND t3."occurred_at" >= t2."occurred_at"
        AND t3."occurred_at" <= addMonths(t2."occurred_at", 1)
    )
  );

-- constructs/c_calculated
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    toFloat64(t1."total_revenue") / nullIf(toFloat64(t1."order_count"), 0)
  ) > 50
  AND (
    (
      (
        toDecimal128(t1."opens", 0) * 2
      ) + (
        toDecimal128(t1."clicks", 0) * 5
      )
    ) + (
      toDecimal128(t1."purchases", 0) * 10
    )
  ) >= 30;

-- constructs/c_let
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    t1."opens" + (
      toDecimal128(t1."clicks", 0) * 2
    )
  ) > 20
  AND (
    t1."opens" + (
      toDecimal128(t1."clicks", 0) * 2
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
      t2."list_slug" = 'vip_customers' AND NOT (
        t2."member_key" IS NULL
      )
  )
  OR t1."id" IN (
    SELECT
      t3."member_key"
    FROM "list_members" AS t3
    WHERE
      t3."list_slug" = 'beta_testers' AND NOT (
        t3."member_key" IS NULL
      )
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
  t1."last_purchase" < addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -10)
  AND t1."country" = 'France';

-- constructs/c_unicode
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."first_name" = 'Zoë'
  OR positionUTF8(lowerUTF8(REPLACE(REPLACE(t1."first_name", 'İ', 'i'), 'Σ', 'σ')), 'é') > 0
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
      positionUTF8(lowerUTF8(REPLACE(REPLACE(t1."job_title", 'İ', 'i'), 'Σ', 'σ')), '\\') > 0
    )
    OR t1."job_title" IS NULL
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
      t2."list_slug" = 'c_static' AND NOT (
        t2."member_key" IS NULL
      )
  );

-- seed002/company_employees
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  positionUTF8(lowerUTF8(REPLACE(REPLACE(t1."email", 'İ', 'i'), 'Σ', 'σ')), '@company.com') > 0;

-- seed002/complex_example
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    t1."location" = 'USA' OR t1."location" = 'Canada'
  )
  AND t1."last_purchase" < addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        (
          t2."name" = 'email_opened'
          AND (
            t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
            AND t2."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
          )
        )
        OR (
          t2."name" = 'email_clicked'
          AND (
            t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
            AND t2."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
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
            t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
            AND t2."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
          )
          THEN 1
        END
      ) >= 5
      AND COUNT(
        CASE
          WHEN t2."name" = 'email_clicked'
          AND (
            t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
            AND t2."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        (
          t2."name" = 'email_opened'
          AND (
            t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -60)
            AND t2."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
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
            t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -60)
            AND t2."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
          )
          THEN 1
        END
      ) < 2
      AND COUNT(CASE WHEN t2."name" = 'email_opened' THEN 1 END) > 5
  )
  AND t1."subscribed_at" < addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -90);

-- seed002/never_engaged
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."opens" = 0
  AND t1."subscribed_at" < addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30);

-- seed002/recent_purchasers
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_purchase" > addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -7);

-- seed002/cart_abandoners
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."cart_value" > 0
  AND t1."last_purchase" IS NULL
  AND t1."last_activity" > addHours(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -24);

-- seed002/browse_abandoners
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."products_viewed" > 3
  AND t1."cart_items" = 0
  AND t1."last_visit" > addHours(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -48);

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
  toInt32(toMonth(t1."birthday")) = toInt32(toMonth(toDate32('2026-11-15')));

-- seed002/customer_lifecycle
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."signup_date" < toDate32(addDays(toDate32('2026-11-15'), -365))
  AND t1."customer_tier" = 'Gold';

-- seed002/nested_example
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    (
      t1."product_interest" = 'Software'
      AND positionUTF8(lowerUTF8(REPLACE(REPLACE(t1."job_title", 'İ', 'i'), 'Σ', 'σ')), 'developer') > 0
    )
    OR (
      t1."product_interest" = 'Marketing'
      AND positionUTF8(lowerUTF8(REPLACE(REPLACE(t1."job_title", 'İ', 'i'), 'Σ', 'σ')), 'marketing') > 0
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
  t1."last_activity" > toDateTime64(toDate32(addDays(toDate32('2026-11-15'), -30)), 6, 'UTC');

-- seed002/signup_anniversary
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    toInt32(toMonth(t1."signup_date")) = toInt32(toMonth(toDate32('2026-11-15')))
    AND toInt32(toDayOfMonth(t1."signup_date")) = toInt32(toDayOfMonth(toDate32('2026-11-15')))
  )
  OR (
    toInt32(toMonth(t1."signup_date")) = 2
    AND toInt32(toDayOfMonth(t1."signup_date")) = 29
    AND toInt32(toMonth(toDate32('2026-11-15'))) = 2
    AND toInt32(toDayOfMonth(toDate32('2026-11-15'))) = 28
    AND toInt32(toDayOfMonth(toDate32(addDays(toDate32('2026-11-15'), 1)))) = 1
  );

-- seed002/holiday_season
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  toInt32(toMonth(toDate32('2026-11-15'))) IN (11, 12);

-- seed002/calculated_fields
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  (
    toFloat64(t1."total_revenue") / nullIf(toFloat64(t1."order_count"), 0)
  ) > 50
  AND (
    (
      (
        toDecimal128(t1."opens", 0) * 2
      ) + (
        toDecimal128(t1."clicks", 0) * 5
      )
    ) + (
      toDecimal128(t1."purchases", 0) * 10
    )
  ) >= 40
  AND DATE_DIFF(DAY, t1."last_purchase_date", toDate32('2026-11-15')) > 30;

-- seed002/welcome_series
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."subscribed_at" > addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -7)
  AND t1."welcome_email_sent" = FALSE;

-- seed002/win_back
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_purchase" < addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -180)
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."name" = 'purchase'
        AND (
          t2."occurred_at" >= addMonths(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -12)
          AND t2."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
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
  t1."last_open" < addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -90)
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."name" = 'email_opened'
        AND (
          t2."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
          AND t2."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."name" = 'purchase'
        AND (
          t2."occurred_at" >= toDateTime64(toDate32(dateTrunc('WEEK', toDate32('2026-11-15'))), 6, 'UTC')
          AND t2."occurred_at" < toDateTime64(toDate32(addDays(toDate32(dateTrunc('WEEK', toDate32('2026-11-15'))), 7)), 6, 'UTC')
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
      t2."list_slug" = 'vip_customers' AND NOT (
        t2."member_key" IS NULL
      )
  )
  AND (
    t1."id" IN (
      SELECT
        t3."contact_id"
      FROM "events" AS t3
      WHERE
        NOT (
          t3."contact_id" IS NULL
        )
        AND (
          t3."name" = 'email_opened'
          AND (
            t3."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
            AND t3."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
          )
        )
    )
  );

-- seed002/non_purchasers
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  NOT (
    t1."subscription_status" IS NULL
  )
  AND (
    NOT (
      t1."id" IN (
        SELECT
          t2."contact_id"
        FROM "events" AS t2
        WHERE
          NOT (
            t2."contact_id" IS NULL
          )
          AND (
            t2."name" = 'purchase'
            AND (
              t2."occurred_at" >= toDateTime64(toDate32(dateTrunc('WEEK', toDate32('2026-11-15'))), 6, 'UTC')
              AND t2."occurred_at" < toDateTime64(toDate32(addDays(toDate32(dateTrunc('WEEK', toDate32('2026-11-15'))), 7)), 6, 'UTC')
            )
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
    t1."last_activity" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
    AND t1."last_activity" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
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
      t2."list_slug" = 'vip_customers' AND NOT (
        t2."member_key" IS NULL
      )
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
      t2."list_slug" = 'beta_testers' AND NOT (
        t2."member_key" IS NULL
      )
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."value" >= 10000 AND t2."stage" = 'Negotiation'
      )
  )
  AND t3."industry" IN ('Software', 'Fintech')
  AND t1."last_purchase" > addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
  AND t1."id" IN (
    SELECT
      t4."contact_id"
    FROM "events" AS t4
    WHERE
      NOT (
        t4."contact_id" IS NULL
      )
      AND (
        t4."name" = 'purchase'
        AND t4."amount" > 100
        AND (
          t4."occurred_at" >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -90)
          AND t4."occurred_at" <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC')
        )
      )
    GROUP BY
      t4."contact_id"
    HAVING
      COUNT(*) >= 2
  )
  AND (
    toFloat64(t1."lifetime_value") / nullIf(toFloat64(t1."order_count"), 0)
  ) > 50
  AND (
    (
      NOT (
        t1."last_activity" < addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -60)
      )
      OR t1."last_activity" IS NULL
    )
    AND NOT (
      t1."last_activity" IS NULL
    )
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
      t2."list_slug" = 'beta_testers_spec' AND NOT (
        t2."member_key" IS NULL
      )
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
      NOT (
        t2."contact_id" IS NULL
      )
      AND (
        t2."value" >= 10000 AND t2."stage" = 'Negotiation'
      )
  )
  AND t3."industry" IN ('Software', 'Fintech')
  AND (
    toFloat64(t1."total_revenue") / nullIf(toFloat64(t1."order_count"), 0)
  ) > 50
  AND (
    (
      NOT (
        t1."last_activity" < addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -60)
      )
      OR t1."last_activity" IS NULL
    )
    AND NOT (
      t1."last_activity" IS NULL
    )
  );

-- high_value_prospects/churned
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_activity" < addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -60)
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
      t2."list_slug" = 'vip_customers' AND NOT (
        t2."member_key" IS NULL
      )
  );

-- constructs/c_ago_ts evaluated when the SQL runs (no --now)
SELECT
  t1."id" AS "id"
FROM "contacts" AS t1
WHERE
  t1."last_purchase" > addDays(toDateTime64(toString(now64(6, 'UTC')), 6, 'UTC'), -30)
  AND t1."last_activity" < addHours(toDateTime64(toString(now64(6, 'UTC')), 6, 'UTC'), -2);

-- instants/i_last30 on seen_at in UTC
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  toDateTime64(toString(toTimeZone(t1."seen_at", 'UTC')), 6, 'UTC') >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
  AND toDateTime64(toString(toTimeZone(t1."seen_at", 'UTC')), 6, 'UTC') <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC');

-- instants/i_last30 on seen_s in UTC
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  fromUnixTimestamp64Micro(toInt64(t1."seen_s") * 1000000, 'UTC') >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
  AND fromUnixTimestamp64Micro(toInt64(t1."seen_s") * 1000000, 'UTC') <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC');

-- instants/i_last30 on seen_ms in UTC
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  fromUnixTimestamp64Micro(toInt64(t1."seen_ms") * 1000, 'UTC') >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
  AND fromUnixTimestamp64Micro(toInt64(t1."seen_ms") * 1000, 'UTC') <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC');

-- instants/i_last30 on seen_us in UTC
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  fromUnixTimestamp64Micro(toInt64(t1."seen_micros"), 'UTC') >= addDays(toDateTime64('2026-11-15 12:00:00', 6, 'UTC'), -30)
  AND fromUnixTimestamp64Micro(toInt64(t1."seen_micros"), 'UTC') <= toDateTime64('2026-11-15 12:00:00', 6, 'UTC');

-- instants/i_2h on seen_at in UTC (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  toDateTime64(toString(toTimeZone(t1."seen_at", 'UTC')), 6, 'UTC') > addHours(toDateTime64(toString(now64(6, 'UTC')), 6, 'UTC'), -2);

-- instants/i_2h on seen_s in UTC (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  fromUnixTimestamp64Micro(toInt64(t1."seen_s") * 1000000, 'UTC') > addHours(toDateTime64(toString(now64(6, 'UTC')), 6, 'UTC'), -2);

-- instants/i_2h on seen_ms in UTC (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  fromUnixTimestamp64Micro(toInt64(t1."seen_ms") * 1000, 'UTC') > addHours(toDateTime64(toString(now64(6, 'UTC')), 6, 'UTC'), -2);

-- instants/i_2h on seen_us in UTC (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  fromUnixTimestamp64Micro(toInt64(t1."seen_micros"), 'UTC') > addHours(toDateTime64(toString(now64(6, 'UTC')), 6, 'UTC'), -2);

-- instants/i_today on seen_at in America/New_York
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  toDate32(toDateTime64(toString(toTimeZone(t1."seen_at", 'America/New_York')), 6, 'UTC')) = toDate32('2026-11-15');

-- instants/i_today on seen_s in America/New_York
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  toDate32(
    toDateTime64(
      toString(
        toTimeZone(
          fromUnixTimestamp64Micro(toInt64(t1."seen_s") * 1000000, 'UTC'),
          'America/New_York'
        )
      ),
      6,
      'UTC'
    )
  ) = toDate32('2026-11-15');

-- instants/i_today on seen_ms in America/New_York
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  toDate32(
    toDateTime64(
      toString(
        toTimeZone(fromUnixTimestamp64Micro(toInt64(t1."seen_ms") * 1000, 'UTC'), 'America/New_York')
      ),
      6,
      'UTC'
    )
  ) = toDate32('2026-11-15');

-- instants/i_today on seen_us in America/New_York
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  toDate32(
    toDateTime64(
      toString(
        toTimeZone(fromUnixTimestamp64Micro(toInt64(t1."seen_micros"), 'UTC'), 'America/New_York')
      ),
      6,
      'UTC'
    )
  ) = toDate32('2026-11-15');

-- instants/i_this_week on seen_at in America/New_York (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  toDateTime64(toString(toTimeZone(t1."seen_at", 'America/New_York')), 6, 'UTC') >= toDateTime64(
    toDate32(dateTrunc('WEEK', toDate32(toString(now64(6, 'America/New_York'))))),
    6,
    'UTC'
  )
  AND toDateTime64(toString(toTimeZone(t1."seen_at", 'America/New_York')), 6, 'UTC') < toDateTime64(
    toDate32(
      addDays(toDate32(dateTrunc('WEEK', toDate32(toString(now64(6, 'America/New_York'))))), 7)
    ),
    6,
    'UTC'
  );

-- instants/i_this_week on seen_s in America/New_York (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  toDateTime64(
    toString(
      toTimeZone(
        fromUnixTimestamp64Micro(toInt64(t1."seen_s") * 1000000, 'UTC'),
        'America/New_York'
      )
    ),
    6,
    'UTC'
  ) >= toDateTime64(
    toDate32(dateTrunc('WEEK', toDate32(toString(now64(6, 'America/New_York'))))),
    6,
    'UTC'
  )
  AND toDateTime64(
    toString(
      toTimeZone(
        fromUnixTimestamp64Micro(toInt64(t1."seen_s") * 1000000, 'UTC'),
        'America/New_York'
      )
    ),
    6,
    'UTC'
  ) < toDateTime64(
    toDate32(
      addDays(toDate32(dateTrunc('WEEK', toDate32(toString(now64(6, 'America/New_York'))))), 7)
    ),
    6,
    'UTC'
  );

-- instants/i_this_week on seen_ms in America/New_York (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  toDateTime64(
    toString(
      toTimeZone(fromUnixTimestamp64Micro(toInt64(t1."seen_ms") * 1000, 'UTC'), 'America/New_York')
    ),
    6,
    'UTC'
  ) >= toDateTime64(
    toDate32(dateTrunc('WEEK', toDate32(toString(now64(6, 'America/New_York'))))),
    6,
    'UTC'
  )
  AND toDateTime64(
    toString(
      toTimeZone(fromUnixTimestamp64Micro(toInt64(t1."seen_ms") * 1000, 'UTC'), 'America/New_York')
    ),
    6,
    'UTC'
  ) < toDateTime64(
    toDate32(
      addDays(toDate32(dateTrunc('WEEK', toDate32(toString(now64(6, 'America/New_York'))))), 7)
    ),
    6,
    'UTC'
  );

-- instants/i_this_week on seen_us in America/New_York (no --now)
SELECT
  t1."id" AS "id"
FROM "conf_visitors" AS t1
WHERE
  toDateTime64(
    toString(
      toTimeZone(fromUnixTimestamp64Micro(toInt64(t1."seen_micros"), 'UTC'), 'America/New_York')
    ),
    6,
    'UTC'
  ) >= toDateTime64(
    toDate32(dateTrunc('WEEK', toDate32(toString(now64(6, 'America/New_York'))))),
    6,
    'UTC'
  )
  AND toDateTime64(
    toString(
      toTimeZone(fromUnixTimestamp64Micro(toInt64(t1."seen_micros"), 'UTC'), 'America/New_York')
    ),
    6,
    'UTC'
  ) < toDateTime64(
    toDate32(
      addDays(toDate32(dateTrunc('WEEK', toDate32(toString(now64(6, 'America/New_York'))))), 7)
    ),
    6,
    'UTC'
  );
