-- segql golden SQL for snowflake (now pinned to 2026-11-15T12:00:00Z); review every change

-- constructs/c_compare
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."OPENS" >= 5
  AND t1."CLICKS" < 3
  AND (
    NOT (
      t1."LIFETIME_VALUE" = 100.5
    ) OR t1."LIFETIME_VALUE" IS NULL
  );

-- constructs/c_string_eq
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."COUNTRY" = 'USA'
  OR (
    NOT (
      t1."COUNTRY" = 'usa'
    ) OR t1."COUNTRY" IS NULL
  );

-- constructs/c_in
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."STATE" IN ('CA', 'NY')
  AND (
    NOT (
      t1."CUSTOMER_TIER" IN ('Gold', 'Silver')
    ) OR t1."CUSTOMER_TIER" IS NULL
  );

-- constructs/c_between
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    t1."OPENS" >= 3 AND t1."OPENS" <= 10
  )
  AND (
    (
      NOT (
        t1."CLICKS" >= 1
      ) OR t1."CLICKS" IS NULL
    )
    OR (
      NOT (
        t1."CLICKS" <= 2
      ) OR t1."CLICKS" IS NULL
    )
  );

-- constructs/c_null
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."COUNTRY" IS NULL OR (
    NOT t1."EMAIL" IS NULL AND t1."STATE" IS NULL
  );

-- constructs/c_empty
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    t1."EMAIL" IS NULL OR t1."EMAIL" = ''
  )
  OR (
    NOT t1."JOB_TITLE" IS NULL
    AND (
      NOT (
        t1."JOB_TITLE" = ''
      ) OR t1."JOB_TITLE" IS NULL
    )
  );

-- constructs/c_contains
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  LOWER(t1."EMAIL") LIKE '%100!%!_real%' ESCAPE '!'
  OR LOWER(t1."JOB_TITLE") LIKE 'senior%' ESCAPE '!'
  OR LOWER(t1."EMAIL") LIKE '%.org' ESCAPE '!';

-- constructs/c_not_contains
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    NOT (
      LOWER(t1."EMAIL") LIKE '%@company.com%' ESCAPE '!'
    )
    OR t1."EMAIL" IS NULL
  )
  AND (
    NOT (
      LOWER(t1."JOB_TITLE") LIKE 'ceo%' ESCAPE '!'
    ) OR t1."JOB_TITLE" IS NULL
  );

-- constructs/c_matches
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  REGEXP_INSTR(t1."EMAIL", '^[a-z]+\\.[0-9]+@') > 0
  OR REGEXP_INSTR(t1."JOB_TITLE", '[dD][eE][vV][eE][lL][oO][pP][eE][rR]$') > 0;

-- constructs/c_not_matches
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    NOT (
      REGEXP_INSTR(t1."EMAIL", 'gmail') > 0
    ) OR t1."EMAIL" IS NULL
  );

-- constructs/c_bool
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."IS_VIP" = TRUE
  AND (
    NOT (
      t1."WELCOME_EMAIL_SENT" = TRUE
    ) OR t1."WELCOME_EMAIL_SENT" IS NULL
  );

-- constructs/c_arith
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    (
      (
        t1."OPENS" * 2
      ) + (
        t1."CLICKS" * 5
      )
    ) - t1."PURCHASES"
  ) > 20
  AND (
    CAST(t1."TOTAL_REVENUE" AS DOUBLE) / NULLIF(CAST(t1."ORDER_COUNT" AS DOUBLE), 0)
  ) > 100;

-- constructs/c_div_zero
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    NOT (
      (
        CAST(t1."TOTAL_REVENUE" AS DOUBLE) / NULLIF(CAST(t1."CART_ITEMS" AS DOUBLE), 0)
      ) > 1
    )
    OR (
      CAST(t1."TOTAL_REVENUE" AS DOUBLE) / NULLIF(CAST(t1."CART_ITEMS" AS DOUBLE), 0)
    ) IS NULL
  );

-- constructs/c_money
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."BUDGET" >= 5000 AND t1."CART_VALUE" < 99.50;

-- constructs/c_functions
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  LOWER(t1."COUNTRY") = 'usa'
  AND UPPER(t1."STATE") = 'CA'
  AND LENGTH(t1."FIRST_NAME") = 3;

-- constructs/c_abs_round
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  ABS((
    t1."CART_VALUE" - 100
  )) < 60
  AND CASE
    WHEN CAST(CAST(t1."TOTAL_SPENT" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) < 0
    THEN -(
      CAST((
        FLOOR(
          ABS(
            CAST(CAST(t1."TOTAL_SPENT" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
          )
        ) + CASE
          WHEN ABS(
            CAST(CAST(t1."TOTAL_SPENT" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
          ) - FLOOR(
            ABS(
              CAST(CAST(t1."TOTAL_SPENT" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
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
          CAST(CAST(t1."TOTAL_SPENT" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
        )
      ) + CASE
        WHEN ABS(
          CAST(CAST(t1."TOTAL_SPENT" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
        ) - FLOOR(
          ABS(
            CAST(CAST(t1."TOTAL_SPENT" AS DOUBLE) / NULLIF(CAST(7 AS DOUBLE), 0) AS DOUBLE) * 1e1
          )
        ) >= 0.5
        THEN 1
        ELSE 0
      END
    ) / 1e1 AS DOUBLE)
  END > 10;

-- constructs/c_coalesce
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  COALESCE(t1."BUDGET", t1."CART_VALUE", 0) > 100;

-- constructs/c_date_parts
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    MONTH(t1."BIRTHDAY") = 11 AND DAYOFWEEKISO(t1."SIGNUP_DATE") IN (6, 7)
  )
  OR YEAR(t1."SIGNUP_DATE") = 2025;

-- constructs/c_ago_ts
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LAST_PURCHASE" > DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND t1."LAST_ACTIVITY" < DATEADD(HOUR, -2, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ));

-- constructs/c_ago_date
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."SIGNUP_DATE" < DATEADD(DAY, -30, CAST('2026-11-15' AS DATE))
  AND t1."SIGNUP_DATE" > DATEADD(DAY, -400, CAST('2026-11-15' AS DATE));

-- constructs/c_between_ago
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LAST_ACTIVITY" >= DATEADD(DAY, -10, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND t1."LAST_ACTIVITY" <= DATEADD(DAY, -3, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ));

-- constructs/c_in_last
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    t1."LAST_ACTIVITY" >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
    AND t1."LAST_ACTIVITY" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
  )
  AND (
    t1."SIGNUP_DATE" > DATEADD(DAY, -7, CAST('2026-11-15' AS DATE))
    AND t1."SIGNUP_DATE" <= CAST('2026-11-15' AS DATE)
  );

-- constructs/c_calendar
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    t1."SIGNUP_DATE" >= DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE))
    AND t1."SIGNUP_DATE" < DATEADD(MONTH, 1, DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)))
  )
  OR (
    t1."LAST_OPEN" >= CAST(DATEADD(MONTH, -3, DATE_TRUNC('QUARTER', CAST('2026-11-15' AS DATE))) AS TIMESTAMPNTZ)
    AND t1."LAST_OPEN" < CAST(DATEADD(MONTH, 3, DATEADD(MONTH, -3, DATE_TRUNC('QUARTER', CAST('2026-11-15' AS DATE)))) AS TIMESTAMPNTZ)
  )
  OR (
    t1."BIRTHDAY" >= DATE_TRUNC('YEAR', CAST('2026-11-15' AS DATE))
    AND t1."BIRTHDAY" < DATEADD(MONTH, 12, DATE_TRUNC('YEAR', CAST('2026-11-15' AS DATE)))
  );

-- constructs/c_today
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LAST_PURCHASE_DATE" = CAST('2026-11-15' AS DATE)
  OR t1."LAST_ACTIVITY" > CAST(DATEADD(DAY, -7, CAST('2026-11-15' AS DATE)) AS TIMESTAMPNTZ);

-- constructs/c_date_literals
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."SIGNUP_DATE" >= CAST('2026-01-01' AS DATE)
  AND t1."LAST_PURCHASE" < CAST('2026-06-01 10:00:00' AS TIMESTAMPNTZ);

-- constructs/c_date_minus
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  DATEDIFF(DAY, t1."LAST_PURCHASE_DATE", CAST('2026-11-15' AS DATE)) > 60;

-- constructs/c_month_math
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."SIGNUP_DATE" > DATEADD(MONTH, -1, CAST('2026-11-15' AS DATE))
  AND t1."LAST_OPEN" < DATEADD(MONTH, -3, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ));

-- constructs/c_before_after
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."SIGNUP_DATE" < CAST('2026-01-01' AS DATE)
  AND t1."LAST_OPEN" > CAST('2026-01-01 00:00:00' AS TIMESTAMPNTZ);

-- constructs/c_anniversary
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    (
      MONTH(t1."SIGNUP_DATE") = MONTH(CAST('2026-11-15' AS DATE))
      AND DAYOFMONTH(t1."SIGNUP_DATE") = DAYOFMONTH(CAST('2026-11-15' AS DATE))
    )
    OR (
      MONTH(t1."SIGNUP_DATE") = 2
      AND DAYOFMONTH(t1."SIGNUP_DATE") = 29
      AND MONTH(CAST('2026-11-15' AS DATE)) = 2
      AND DAYOFMONTH(CAST('2026-11-15' AS DATE)) = 28
      AND DAYOFMONTH(DATEADD(DAY, 1, CAST('2026-11-15' AS DATE))) = 1
    )
  )
  OR (
    (
      MONTH(t1."BIRTHDAY") = MONTH(CAST('2026-11-15' AS DATE))
      AND DAYOFMONTH(t1."BIRTHDAY") = DAYOFMONTH(CAST('2026-11-15' AS DATE))
    )
    OR (
      MONTH(t1."BIRTHDAY") = 2
      AND DAYOFMONTH(t1."BIRTHDAY") = 29
      AND MONTH(CAST('2026-11-15' AS DATE)) = 2
      AND DAYOFMONTH(CAST('2026-11-15' AS DATE)) = 28
      AND DAYOFMONTH(DATEADD(DAY, 1, CAST('2026-11-15' AS DATE))) = 1
    )
  );

-- constructs/c_to_one
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
LEFT JOIN "ORGANIZATIONS" AS t2
  ON t2."ID" = t1."ORGANIZATION_ID"
WHERE
  t2."INDUSTRY" = 'Software' AND t2."EMPLOYEES" > 100;

-- constructs/c_to_one_null
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
LEFT JOIN "ORGANIZATIONS" AS t2
  ON t2."ID" = t1."ORGANIZATION_ID"
WHERE
  t2."INDUSTRY" IS NULL;

-- constructs/c_to_many
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "DEALS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL AND t2."VALUE" >= 10000
  )
  AND t1."ID" IN (
    SELECT
      t3."CONTACT_ID"
    FROM "DEALS" AS t3
    WHERE
      NOT t3."CONTACT_ID" IS NULL AND t3."STAGE" = 'Negotiation'
  );

-- constructs/c_to_many_negated
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM "DEALS" AS t2
    WHERE
      t2."CONTACT_ID" = t1."ID" AND t2."STAGE" = 'Won'
  );

-- constructs/c_to_many_null
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM "DEALS" AS t2
    WHERE
      t2."CONTACT_ID" = t1."ID"
  )
  OR t1."ID" IN (
    SELECT
      t3."CONTACT_ID"
    FROM "DEALS" AS t3
    WHERE
      NOT t3."CONTACT_ID" IS NULL AND t3."STAGE" IS NULL
  );

-- constructs/c_any
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "DEALS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."VALUE" >= 10000 AND t2."STAGE" = 'Negotiation'
      )
  );

-- constructs/c_all
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM "DEALS" AS t2
    WHERE
      t2."CONTACT_ID" = t1."ID"
      AND (
        NOT (
          t2."STAGE" = 'Won'
        ) OR t2."STAGE" IS NULL
      )
  );

-- constructs/c_no
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM "DEALS" AS t2
    WHERE
      t2."CONTACT_ID" = t1."ID" AND t2."STAGE" = 'Lost'
  )
  AND t1."ID" IN (
    SELECT
      t3."CONTACT_ID"
    FROM "DEALS" AS t3
    WHERE
      NOT t3."CONTACT_ID" IS NULL
  );

-- constructs/c_count
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "DEALS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      COUNT(*) >= 2 AND COUNT(CASE WHEN t2."STAGE" = 'Won' THEN 1 END) = 0
  );

-- constructs/c_count_or
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "DEALS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL AND (
        t2."STAGE" = 'Won' OR t2."STAGE" = 'Lost'
      )
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      COUNT(CASE WHEN t2."STAGE" = 'Won' THEN 1 END) >= 1
      OR COALESCE(SUM(CASE WHEN t2."STAGE" = 'Lost' THEN t2."VALUE" END), 0) > 10000
  );

-- constructs/c_count_or_empty
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  NOT t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "DEALS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      NOT (
        COUNT(CASE WHEN t2."STAGE" = 'Won' THEN 1 END) >= 2
        OR COALESCE(SUM(t2."VALUE"), 0) > 50000
        OR NOT (
          COUNT(*) > 0
        )
      )
  );

-- constructs/c_sum_avg
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "DEALS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      COALESCE(SUM(t2."VALUE"), 0) > 20000
  )
  OR (
    SELECT
      AVG(CAST(t3."VALUE" AS DOUBLE))
    FROM "DEALS" AS t3
    WHERE
      t3."CONTACT_ID" = t1."ID" AND t3."STAGE" = 'Won'
  ) > 5000;

-- constructs/c_min_max
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    SELECT
      MIN(t2."VALUE")
    FROM "DEALS" AS t2
    WHERE
      t2."CONTACT_ID" = t1."ID"
  ) < 1000
  AND (
    SELECT
      MAX(t3."CLOSED_AT")
    FROM "DEALS" AS t3
    WHERE
      t3."CONTACT_ID" = t1."ID"
  ) < DATEADD(DAY, -90, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ));

-- constructs/c_performed
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL AND t2."NAME" = 'purchase'
  );

-- constructs/c_performed_count
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."NAME" = 'email_opened'
        AND (
          t2."OCCURRED_AT" >= DATEADD(DAY, -60, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
          AND t2."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
        )
      )
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      COUNT(*) >= 3
  );

-- constructs/c_performed_where
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  NOT t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."NAME" = 'purchase' AND t2."AMOUNT" > 100
      )
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      NOT (
        COUNT(*) <= 2
      )
  );

-- constructs/c_performed_exact
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."NAME" = 'email_clicked'
        AND (
          t2."OCCURRED_AT" >= CAST(DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)) AS TIMESTAMPNTZ)
          AND t2."OCCURRED_AT" < CAST(DATEADD(MONTH, 1, DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE))) AS TIMESTAMPNTZ)
        )
      )
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      COUNT(*) = 1
  );

-- constructs/c_performed_fewer
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  NOT t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL AND t2."NAME" = 'email_opened'
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      NOT (
        COUNT(*) < 2
      )
  );

-- constructs/c_did_not
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM "EVENTS" AS t2
    WHERE
      t2."CONTACT_ID" = t1."ID"
      AND (
        t2."NAME" = 'purchase'
        AND (
          t2."OCCURRED_AT" >= DATEADD(DAY, -90, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
          AND t2."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
        )
      )
  );

-- constructs/c_performed_between
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."NAME" = 'page_view'
        AND (
          t2."OCCURRED_AT" >= DATEADD(DAY, -60, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
          AND t2."OCCURRED_AT" <= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
        )
      )
  );

-- constructs/c_sequence
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    INNER JOIN "EVENTS" AS t3
      ON t3."CONTACT_ID" = t2."CONTACT_ID"
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."NAME" = 'trial_started'
        AND (
          t2."OCCURRED_AT" >= DATEADD(DAY, -90, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
          AND t2."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
        )
      )
      AND (
        t3."NAME" = 'purchase'
        AND (
          t3."OCCURRED_AT" >= DATEADD(DAY, -90, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
          AND t3."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
        )
      )
      AND NOT t3."ID" = t2."ID"
      AND t3."OCCURRED_AT" >= t2."OCCURRED_AT"
      AND t3."OCCURRED_AT" <= DATEADD(DAY, 14, t2."OCCURRED_AT")
  );

-- constructs/c_sequence_where
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    INNER JOIN "EVENTS" AS t3
      ON t3."CONTACT_ID" = t2."CONTACT_ID"
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."NAME" = 'email_opened' AND t2."AMOUNT" > 0
      )
      AND (
        t3."NAME" = 'purchase' AND t3."AMOUNT" > 100
      )
      AND NOT t3."ID" = t2."ID"
      AND t3."OCCURRED_AT" >= t2."OCCURRED_AT"
      AND t3."OCCURRED_AT" <= DATEADD(HOUR, 2, t2."OCCURRED_AT")
  );

-- constructs/c_sequence_count
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    INNER JOIN "EVENTS" AS t3
      ON t3."CONTACT_ID" = t2."CONTACT_ID"
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."NAME" = 'email_opened'
        AND (
          t2."OCCURRED_AT" >= CAST(DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)) AS TIMESTAMPNTZ)
          AND t2."OCCURRED_AT" < CAST(DATEADD(MONTH, 1, DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE))) AS TIMESTAMPNTZ)
        )
      )
      AND (
        t3."NAME" = 'email_clicked'
        AND (
          t3."OCCURRED_AT" >= CAST(DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE)) AS TIMESTAMPNTZ)
          AND t3."OCCURRED_AT" < CAST(DATEADD(MONTH, 1, DATE_TRUNC('MONTH', CAST('2026-11-15' AS DATE))) AS TIMESTAMPNTZ)
        )
      )
      AND NOT t3."ID" = t2."ID"
      AND t3."OCCURRED_AT" >= t2."OCCURRED_AT"
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      COUNT(DISTINCT t2."ID") >= 2
  );

-- constructs/c_sequence_not
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  NOT t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    INNER JOIN "EVENTS" AS t3
      ON t3."CONTACT_ID" = t2."CONTACT_ID"
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."NAME" = 'trial_started'
        AND (
          t2."OCCURRED_AT" >= DATEADD(DAY, -60, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
          AND t2."OCCURRED_AT" <= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
        )
      )
      AND (
        t3."NAME" = 'purchase'
        AND (
          t3."OCCURRED_AT" >= DATEADD(DAY, -60, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
          AND t3."OCCURRED_AT" <= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
        )
      )
      AND NOT t3."ID" = t2."ID"
      AND t3."OCCURRED_AT" >= t2."OCCURRED_AT"
      AND t3."OCCURRED_AT" <= DATEADD(MONTH, 1, t2."OCCURRED_AT")
  );

-- constructs/c_calculated
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    CAST(t1."TOTAL_REVENUE" AS DOUBLE) / NULLIF(CAST(t1."ORDER_COUNT" AS DOUBLE), 0)
  ) > 50
  AND (
    (
      (
        t1."OPENS" * 2
      ) + (
        t1."CLICKS" * 5
      )
    ) + (
      t1."PURCHASES" * 10
    )
  ) >= 30;

-- constructs/c_let
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    t1."OPENS" + (
      t1."CLICKS" * 2
    )
  ) > 20
  AND (
    t1."OPENS" + (
      t1."CLICKS" * 2
    )
  ) < 50;

-- constructs/c_segment_ref
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    t1."OPENS" >= 5
    AND t1."CLICKS" < 3
    AND (
      NOT (
        t1."LIFETIME_VALUE" = 100.5
      ) OR t1."LIFETIME_VALUE" IS NULL
    )
  )
  AND (
    (
      NOT (
        t1."IS_VIP" = TRUE
      ) OR t1."IS_VIP" IS NULL
    )
    OR t1."WELCOME_EMAIL_SENT" = TRUE
  );

-- constructs/c_list
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."MEMBER_KEY"
    FROM "LIST_MEMBERS" AS t2
    WHERE
      t2."LIST_SLUG" = 'vip_customers' AND NOT t2."MEMBER_KEY" IS NULL
  )
  OR t1."ID" IN (
    SELECT
      t3."MEMBER_KEY"
    FROM "LIST_MEMBERS" AS t3
    WHERE
      t3."LIST_SLUG" = 'beta_testers' AND NOT t3."MEMBER_KEY" IS NULL
  );

-- constructs/c_nested
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    (
      t1."COUNTRY" = 'USA' OR t1."COUNTRY" = 'Canada'
    )
    AND (
      (
        NOT (
          t1."OPENS" < 3
        ) OR t1."OPENS" IS NULL
      )
      AND (
        NOT (
          t1."CLICKS" < 1
        ) OR t1."CLICKS" IS NULL
      )
    )
  )
  OR t1."IS_VIP" = TRUE;

-- constructs/c_names
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LAST_PURCHASE" < DATEADD(DAY, -10, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND t1."COUNTRY" = 'France';

-- constructs/c_unicode
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."FIRST_NAME" = 'Zoë'
  OR LOWER(t1."FIRST_NAME") LIKE '%é%' ESCAPE '!'
  OR t1."FIRST_NAME" = '李';

-- constructs/c_quotes
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    NOT (
      t1."EMAIL" = 'o\'brien"s@x.com'
    ) OR t1."EMAIL" IS NULL
  )
  AND (
    NOT (
      LOWER(t1."JOB_TITLE") LIKE '%\\%' ESCAPE '!'
    ) OR t1."JOB_TITLE" IS NULL
  );

-- constructs/c_static
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."MEMBER_KEY"
    FROM "LIST_MEMBERS" AS t2
    WHERE
      t2."LIST_SLUG" = 'c_static' AND NOT t2."MEMBER_KEY" IS NULL
  );

-- seed002/company_employees
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  LOWER(t1."EMAIL") LIKE '%@company.com%' ESCAPE '!';

-- seed002/complex_example
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    t1."LOCATION" = 'USA' OR t1."LOCATION" = 'Canada'
  )
  AND t1."LAST_PURCHASE" < DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND t1."TOTAL_SPENT" > 500
  AND t1."EMAIL_OPENS" > 5;

-- seed002/highly_engaged
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        (
          t2."NAME" = 'email_opened'
          AND (
            t2."OCCURRED_AT" >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
            AND t2."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
          )
        )
        OR (
          t2."NAME" = 'email_clicked'
          AND (
            t2."OCCURRED_AT" >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
            AND t2."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
          )
        )
      )
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      COUNT(
        CASE
          WHEN t2."NAME" = 'email_opened'
          AND (
            t2."OCCURRED_AT" >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
            AND t2."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
          )
          THEN 1
        END
      ) >= 5
      AND COUNT(
        CASE
          WHEN t2."NAME" = 'email_clicked'
          AND (
            t2."OCCURRED_AT" >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
            AND t2."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
          )
          THEN 1
        END
      ) >= 2
  );

-- seed002/at_risk
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        (
          t2."NAME" = 'email_opened'
          AND (
            t2."OCCURRED_AT" >= DATEADD(DAY, -60, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
            AND t2."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
          )
        )
        OR t2."NAME" = 'email_opened'
      )
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      COUNT(
        CASE
          WHEN t2."NAME" = 'email_opened'
          AND (
            t2."OCCURRED_AT" >= DATEADD(DAY, -60, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
            AND t2."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
          )
          THEN 1
        END
      ) < 2
      AND COUNT(CASE WHEN t2."NAME" = 'email_opened' THEN 1 END) > 5
  )
  AND t1."SUBSCRIBED_AT" < DATEADD(DAY, -90, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ));

-- seed002/never_engaged
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."OPENS" = 0
  AND t1."SUBSCRIBED_AT" < DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ));

-- seed002/recent_purchasers
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LAST_PURCHASE" > DATEADD(DAY, -7, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ));

-- seed002/cart_abandoners
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."CART_VALUE" > 0
  AND t1."LAST_PURCHASE" IS NULL
  AND t1."LAST_ACTIVITY" > DATEADD(HOUR, -24, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ));

-- seed002/browse_abandoners
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."PRODUCTS_VIEWED" > 3
  AND t1."CART_ITEMS" = 0
  AND t1."LAST_VISIT" > DATEADD(HOUR, -48, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ));

-- seed002/geographic
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."COUNTRY" = 'USA'
  AND t1."STATE" IN ('CA', 'NY', 'TX')
  AND t1."TIMEZONE" = 'PST';

-- seed002/birthday_month
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  MONTH(t1."BIRTHDAY") = MONTH(CAST('2026-11-15' AS DATE));

-- seed002/customer_lifecycle
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."SIGNUP_DATE" < DATEADD(DAY, -365, CAST('2026-11-15' AS DATE))
  AND t1."CUSTOMER_TIER" = 'Gold';

-- seed002/nested_example
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    (
      t1."PRODUCT_INTEREST" = 'Software'
      AND LOWER(t1."JOB_TITLE") LIKE '%developer%' ESCAPE '!'
    )
    OR (
      t1."PRODUCT_INTEREST" = 'Marketing'
      AND LOWER(t1."JOB_TITLE") LIKE '%marketing%' ESCAPE '!'
    )
  )
  AND (
    t1."COMPANY_SIZE" > 100 OR t1."BUDGET" > 10000
  );

-- seed002/rolling_window
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LAST_ACTIVITY" > CAST(DATEADD(DAY, -30, CAST('2026-11-15' AS DATE)) AS TIMESTAMPNTZ);

-- seed002/signup_anniversary
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    MONTH(t1."SIGNUP_DATE") = MONTH(CAST('2026-11-15' AS DATE))
    AND DAYOFMONTH(t1."SIGNUP_DATE") = DAYOFMONTH(CAST('2026-11-15' AS DATE))
  )
  OR (
    MONTH(t1."SIGNUP_DATE") = 2
    AND DAYOFMONTH(t1."SIGNUP_DATE") = 29
    AND MONTH(CAST('2026-11-15' AS DATE)) = 2
    AND DAYOFMONTH(CAST('2026-11-15' AS DATE)) = 28
    AND DAYOFMONTH(DATEADD(DAY, 1, CAST('2026-11-15' AS DATE))) = 1
  );

-- seed002/holiday_season
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  MONTH(CAST('2026-11-15' AS DATE)) IN (11, 12);

-- seed002/calculated_fields
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  (
    CAST(t1."TOTAL_REVENUE" AS DOUBLE) / NULLIF(CAST(t1."ORDER_COUNT" AS DOUBLE), 0)
  ) > 50
  AND (
    (
      (
        t1."OPENS" * 2
      ) + (
        t1."CLICKS" * 5
      )
    ) + (
      t1."PURCHASES" * 10
    )
  ) >= 40
  AND DATEDIFF(DAY, t1."LAST_PURCHASE_DATE", CAST('2026-11-15' AS DATE)) > 30;

-- seed002/welcome_series
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."SUBSCRIBED_AT" > DATEADD(DAY, -7, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND t1."WELCOME_EMAIL_SENT" = FALSE;

-- seed002/win_back
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LAST_PURCHASE" < DATEADD(DAY, -180, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND t1."PREVIOUS_CUSTOMER" = TRUE;

-- seed002/top_tier
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LIFETIME_VALUE" > 1000
  OR t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."NAME" = 'purchase'
        AND (
          t2."OCCURRED_AT" >= DATEADD(MONTH, -12, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
          AND t2."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
        )
      )
    GROUP BY
      t2."CONTACT_ID"
    HAVING
      COUNT(*) > 5
  );

-- seed002/inactive
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LAST_OPEN" < DATEADD(DAY, -90, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND t1."SUBSCRIPTION_STATUS" = 'Active';

-- seed002/active_last_30_days
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."NAME" = 'email_opened'
        AND (
          t2."OCCURRED_AT" >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
          AND t2."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
        )
      )
  );

-- seed002/purchased_this_week
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "EVENTS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."NAME" = 'purchase'
        AND (
          t2."OCCURRED_AT" >= CAST(DATEADD(DAY, 1 - DAYOFWEEKISO(CAST('2026-11-15' AS DATE)), CAST('2026-11-15' AS DATE)) AS TIMESTAMPNTZ)
          AND t2."OCCURRED_AT" < CAST(DATEADD(
            DAY,
            7,
            DATEADD(DAY, 1 - DAYOFWEEKISO(CAST('2026-11-15' AS DATE)), CAST('2026-11-15' AS DATE))
          ) AS TIMESTAMPNTZ)
        )
      )
  );

-- seed002/engaged_vips
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."MEMBER_KEY"
    FROM "LIST_MEMBERS" AS t2
    WHERE
      t2."LIST_SLUG" = 'vip_customers' AND NOT t2."MEMBER_KEY" IS NULL
  )
  AND (
    t1."ID" IN (
      SELECT
        t3."CONTACT_ID"
      FROM "EVENTS" AS t3
      WHERE
        NOT t3."CONTACT_ID" IS NULL
        AND (
          t3."NAME" = 'email_opened'
          AND (
            t3."OCCURRED_AT" >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
            AND t3."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
          )
        )
    )
  );

-- seed002/non_purchasers
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  NOT t1."SUBSCRIPTION_STATUS" IS NULL
  AND (
    NOT EXISTS(
      SELECT
        1
      FROM "EVENTS" AS t2
      WHERE
        t2."CONTACT_ID" = t1."ID"
        AND (
          t2."NAME" = 'purchase'
          AND (
            t2."OCCURRED_AT" >= CAST(DATEADD(DAY, 1 - DAYOFWEEKISO(CAST('2026-11-15' AS DATE)), CAST('2026-11-15' AS DATE)) AS TIMESTAMPNTZ)
            AND t2."OCCURRED_AT" < CAST(DATEADD(
              DAY,
              7,
              DATEADD(DAY, 1 - DAYOFWEEKISO(CAST('2026-11-15' AS DATE)), CAST('2026-11-15' AS DATE))
            ) AS TIMESTAMPNTZ)
          )
        )
    )
  );

-- seed002/api_high_value_active
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LIFETIME_VALUE" > 500
  AND (
    t1."LAST_ACTIVITY" >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
    AND t1."LAST_ACTIVITY" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
  );

-- seed002/vip_customers
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."MEMBER_KEY"
    FROM "LIST_MEMBERS" AS t2
    WHERE
      t2."LIST_SLUG" = 'vip_customers' AND NOT t2."MEMBER_KEY" IS NULL
  );

-- seed002/beta_testers
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."MEMBER_KEY"
    FROM "LIST_MEMBERS" AS t2
    WHERE
      t2."LIST_SLUG" = 'beta_testers' AND NOT t2."MEMBER_KEY" IS NULL
  );

-- spec_example/spec_high_value_prospects
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
LEFT JOIN "ORGANIZATIONS" AS t3
  ON t3."ID" = t1."ORGANIZATION_ID"
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "DEALS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."VALUE" >= 10000 AND t2."STAGE" = 'Negotiation'
      )
  )
  AND t3."INDUSTRY" IN ('Software', 'Fintech')
  AND t1."LAST_PURCHASE" > DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND t1."ID" IN (
    SELECT
      t4."CONTACT_ID"
    FROM "EVENTS" AS t4
    WHERE
      NOT t4."CONTACT_ID" IS NULL
      AND (
        t4."NAME" = 'purchase'
        AND t4."AMOUNT" > 100
        AND (
          t4."OCCURRED_AT" >= DATEADD(DAY, -90, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
          AND t4."OCCURRED_AT" <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ)
        )
      )
    GROUP BY
      t4."CONTACT_ID"
    HAVING
      COUNT(*) >= 2
  )
  AND (
    CAST(t1."LIFETIME_VALUE" AS DOUBLE) / NULLIF(CAST(t1."ORDER_COUNT" AS DOUBLE), 0)
  ) > 50
  AND (
    (
      NOT (
        t1."LAST_ACTIVITY" < DATEADD(DAY, -60, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
      )
      OR t1."LAST_ACTIVITY" IS NULL
    )
    AND NOT t1."LAST_ACTIVITY" IS NULL
  );

-- spec_example/beta_testers_spec
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."MEMBER_KEY"
    FROM "LIST_MEMBERS" AS t2
    WHERE
      t2."LIST_SLUG" = 'beta_testers_spec' AND NOT t2."MEMBER_KEY" IS NULL
  );

-- high_value_prospects/high_value_prospects
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
LEFT JOIN "ORGANIZATIONS" AS t3
  ON t3."ID" = t1."ORGANIZATION_ID"
WHERE
  t1."ID" IN (
    SELECT
      t2."CONTACT_ID"
    FROM "DEALS" AS t2
    WHERE
      NOT t2."CONTACT_ID" IS NULL
      AND (
        t2."VALUE" >= 10000 AND t2."STAGE" = 'Negotiation'
      )
  )
  AND t3."INDUSTRY" IN ('Software', 'Fintech')
  AND (
    CAST(t1."TOTAL_REVENUE" AS DOUBLE) / NULLIF(CAST(t1."ORDER_COUNT" AS DOUBLE), 0)
  ) > 50
  AND (
    (
      NOT (
        t1."LAST_ACTIVITY" < DATEADD(DAY, -60, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
      )
      OR t1."LAST_ACTIVITY" IS NULL
    )
    AND NOT t1."LAST_ACTIVITY" IS NULL
  );

-- high_value_prospects/churned
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LAST_ACTIVITY" < DATEADD(DAY, -60, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  OR t1."LAST_ACTIVITY" IS NULL;

-- high_value_prospects/vip_customers
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."ID" IN (
    SELECT
      t2."MEMBER_KEY"
    FROM "LIST_MEMBERS" AS t2
    WHERE
      t2."LIST_SLUG" = 'vip_customers' AND NOT t2."MEMBER_KEY" IS NULL
  );

-- constructs/c_ago_ts evaluated when the SQL runs (no --now)
SELECT
  t1."ID" AS "id"
FROM "CONTACTS" AS t1
WHERE
  t1."LAST_PURCHASE" > DATEADD(DAY, -30, CAST(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ))
  AND t1."LAST_ACTIVITY" < DATEADD(HOUR, -2, CAST(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ));

-- instants/i_last30 on seen_at in UTC
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  CAST(CONVERT_TIMEZONE('UTC', t1."SEEN_AT") AS TIMESTAMPNTZ) >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND CAST(CONVERT_TIMEZONE('UTC', t1."SEEN_AT") AS TIMESTAMPNTZ) <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ);

-- instants/i_last30 on seen_s in UTC
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  DATEADD(SECOND, t1."SEEN_S", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ)) >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND DATEADD(SECOND, t1."SEEN_S", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ)) <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ);

-- instants/i_last30 on seen_ms in UTC
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  DATEADD(MILLISECOND, t1."SEEN_MS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ)) >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND DATEADD(MILLISECOND, t1."SEEN_MS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ)) <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ);

-- instants/i_last30 on seen_us in UTC
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  DATEADD(MICROSECOND, t1."SEEN_MICROS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ)) >= DATEADD(DAY, -30, CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ))
  AND DATEADD(MICROSECOND, t1."SEEN_MICROS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ)) <= CAST('2026-11-15 12:00:00' AS TIMESTAMPNTZ);

-- instants/i_2h on seen_at in UTC (no --now)
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  CAST(CONVERT_TIMEZONE('UTC', t1."SEEN_AT") AS TIMESTAMPNTZ) > DATEADD(HOUR, -2, CAST(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ));

-- instants/i_2h on seen_s in UTC (no --now)
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  DATEADD(SECOND, t1."SEEN_S", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ)) > DATEADD(HOUR, -2, CAST(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ));

-- instants/i_2h on seen_ms in UTC (no --now)
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  DATEADD(MILLISECOND, t1."SEEN_MS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ)) > DATEADD(HOUR, -2, CAST(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ));

-- instants/i_2h on seen_us in UTC (no --now)
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  DATEADD(MICROSECOND, t1."SEEN_MICROS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ)) > DATEADD(HOUR, -2, CAST(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ));

-- instants/i_today on seen_at in America/New_York
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  CAST(CAST(CONVERT_TIMEZONE('America/New_York', t1."SEEN_AT") AS TIMESTAMPNTZ) AS DATE) = CAST('2026-11-15' AS DATE);

-- instants/i_today on seen_s in America/New_York
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  CAST(CONVERT_TIMEZONE(
    'UTC',
    'America/New_York',
    DATEADD(SECOND, t1."SEEN_S", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ))
  ) AS DATE) = CAST('2026-11-15' AS DATE);

-- instants/i_today on seen_ms in America/New_York
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  CAST(CONVERT_TIMEZONE(
    'UTC',
    'America/New_York',
    DATEADD(MILLISECOND, t1."SEEN_MS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ))
  ) AS DATE) = CAST('2026-11-15' AS DATE);

-- instants/i_today on seen_us in America/New_York
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  CAST(CONVERT_TIMEZONE(
    'UTC',
    'America/New_York',
    DATEADD(MICROSECOND, t1."SEEN_MICROS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ))
  ) AS DATE) = CAST('2026-11-15' AS DATE);

-- instants/i_this_week on seen_at in America/New_York (no --now)
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  CAST(CONVERT_TIMEZONE('America/New_York', t1."SEEN_AT") AS TIMESTAMPNTZ) >= CAST(DATEADD(
    DAY,
    1 - DAYOFWEEKISO(
      CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
    ),
    CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
  ) AS TIMESTAMPNTZ)
  AND CAST(CONVERT_TIMEZONE('America/New_York', t1."SEEN_AT") AS TIMESTAMPNTZ) < CAST(DATEADD(
    DAY,
    7,
    DATEADD(
      DAY,
      1 - DAYOFWEEKISO(
        CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
      ),
      CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
    )
  ) AS TIMESTAMPNTZ);

-- instants/i_this_week on seen_s in America/New_York (no --now)
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  CONVERT_TIMEZONE(
    'UTC',
    'America/New_York',
    DATEADD(SECOND, t1."SEEN_S", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ))
  ) >= CAST(DATEADD(
    DAY,
    1 - DAYOFWEEKISO(
      CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
    ),
    CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
  ) AS TIMESTAMPNTZ)
  AND CONVERT_TIMEZONE(
    'UTC',
    'America/New_York',
    DATEADD(SECOND, t1."SEEN_S", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ))
  ) < CAST(DATEADD(
    DAY,
    7,
    DATEADD(
      DAY,
      1 - DAYOFWEEKISO(
        CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
      ),
      CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
    )
  ) AS TIMESTAMPNTZ);

-- instants/i_this_week on seen_ms in America/New_York (no --now)
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  CONVERT_TIMEZONE(
    'UTC',
    'America/New_York',
    DATEADD(MILLISECOND, t1."SEEN_MS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ))
  ) >= CAST(DATEADD(
    DAY,
    1 - DAYOFWEEKISO(
      CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
    ),
    CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
  ) AS TIMESTAMPNTZ)
  AND CONVERT_TIMEZONE(
    'UTC',
    'America/New_York',
    DATEADD(MILLISECOND, t1."SEEN_MS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ))
  ) < CAST(DATEADD(
    DAY,
    7,
    DATEADD(
      DAY,
      1 - DAYOFWEEKISO(
        CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
      ),
      CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
    )
  ) AS TIMESTAMPNTZ);

-- instants/i_this_week on seen_us in America/New_York (no --now)
SELECT
  t1."ID" AS "id"
FROM "CONF_VISITORS" AS t1
WHERE
  CONVERT_TIMEZONE(
    'UTC',
    'America/New_York',
    DATEADD(MICROSECOND, t1."SEEN_MICROS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ))
  ) >= CAST(DATEADD(
    DAY,
    1 - DAYOFWEEKISO(
      CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
    ),
    CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
  ) AS TIMESTAMPNTZ)
  AND CONVERT_TIMEZONE(
    'UTC',
    'America/New_York',
    DATEADD(MICROSECOND, t1."SEEN_MICROS", CAST('1970-01-01 00:00:00' AS TIMESTAMPNTZ))
  ) < CAST(DATEADD(
    DAY,
    7,
    DATEADD(
      DAY,
      1 - DAYOFWEEKISO(
        CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
      ),
      CAST(CAST(CONVERT_TIMEZONE('America/New_York', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS DATE)
    )
  ) AS TIMESTAMPNTZ);
