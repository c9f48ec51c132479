-- segql golden SQL for tsql (now pinned to 2026-11-15T12:00:00Z); review every change

-- constructs/c_compare
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[opens] >= 5
  AND t1.[clicks] < 3
  AND (
    NOT (
      t1.[lifetime_value] = 100.5
    ) OR t1.[lifetime_value] IS NULL
  );

-- constructs/c_string_eq
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[country] + N'|' = N'USA' + N'|' COLLATE Latin1_General_100_BIN2
  OR (
    NOT (
      t1.[country] + N'|' = N'usa' + N'|' COLLATE Latin1_General_100_BIN2
    )
    OR t1.[country] IS NULL
  );

-- constructs/c_in
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    t1.[state] + N'|' = N'CA' + N'|' COLLATE Latin1_General_100_BIN2
    OR t1.[state] + N'|' = N'NY' + N'|' COLLATE Latin1_General_100_BIN2
  )
  AND (
    NOT (
      (
        t1.[customer_tier] + N'|' = N'Gold' + N'|' COLLATE Latin1_General_100_BIN2
        OR t1.[customer_tier] + N'|' = N'Silver' + N'|' COLLATE Latin1_General_100_BIN2
      )
    )
    OR t1.[customer_tier] IS NULL
  );

-- constructs/c_between
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    t1.[opens] >= 3 AND t1.[opens] <= 10
  )
  AND (
    (
      NOT (
        t1.[clicks] >= 1
      ) OR t1.[clicks] IS NULL
    )
    OR (
      NOT (
        t1.[clicks] <= 2
      ) OR t1.[clicks] IS NULL
    )
  );

-- constructs/c_null
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[country] IS NULL OR (
    NOT t1.[email] IS NULL AND t1.[state] IS NULL
  );

-- constructs/c_empty
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    t1.[email] IS NULL
    OR t1.[email] + N'|' = N'' + N'|' COLLATE Latin1_General_100_BIN2
  )
  OR (
    NOT t1.[job_title] IS NULL
    AND (
      NOT (
        t1.[job_title] + N'|' = N'' + N'|' COLLATE Latin1_General_100_BIN2
      )
      OR t1.[job_title] IS NULL
    )
  );

-- constructs/c_contains
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    LOWER(t1.[email]) COLLATE Latin1_General_100_BIN2
  ) LIKE N'%100!%!_real%' ESCAPE N'!'
  OR (
    LOWER(t1.[job_title]) COLLATE Latin1_General_100_BIN2
  ) LIKE N'senior%' ESCAPE N'!'
  OR (
    LOWER(t1.[email]) COLLATE Latin1_General_100_BIN2
  ) LIKE N'%.org' ESCAPE N'!';

-- constructs/c_not_contains
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    NOT (
      (
        LOWER(t1.[email]) COLLATE Latin1_General_100_BIN2
      ) LIKE N'%@company.com%' ESCAPE N'!'
    )
    OR t1.[email] IS NULL
  )
  AND (
    NOT (
      (
        LOWER(t1.[job_title]) COLLATE Latin1_General_100_BIN2
      ) LIKE N'ceo%' ESCAPE N'!'
    )
    OR t1.[job_title] IS NULL
  );

-- constructs/c_matches: UNSUPPORTED E0501: regular expression matching (matches) cannot be expressed faithfully in the tsql dialect

-- constructs/c_not_matches: UNSUPPORTED E0501: regular expression matching (matches) cannot be expressed faithfully in the tsql dialect

-- constructs/c_bool
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[is_vip] = 1
  AND (
    NOT (
      t1.[welcome_email_sent] = 1
    ) OR t1.[welcome_email_sent] IS NULL
  );

-- constructs/c_arith
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    (
      (
        t1.[opens] * 2
      ) + (
        t1.[clicks] * 5
      )
    ) - t1.[purchases]
  ) > 20
  AND (
    CAST(t1.[total_revenue] AS FLOAT) / NULLIF(CAST(t1.[order_count] AS FLOAT), 0)
  ) > 100;

-- constructs/c_div_zero
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    NOT (
      (
        CAST(t1.[total_revenue] AS FLOAT) / NULLIF(CAST(t1.[cart_items] AS FLOAT), 0)
      ) > 1
    )
    OR (
      CAST(t1.[total_revenue] AS FLOAT) / NULLIF(CAST(t1.[cart_items] AS FLOAT), 0)
    ) IS NULL
  );

-- constructs/c_money
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[budget] >= 5000 AND t1.[cart_value] < 99.50;

-- constructs/c_functions
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  LOWER(t1.[country]) + N'|' = N'usa' + N'|' COLLATE Latin1_General_100_BIN2
  AND UPPER(t1.[state]) + N'|' = N'CA' + N'|' COLLATE Latin1_General_100_BIN2
  AND (
    LEN(t1.[first_name] + N'|') - 1
  ) = 3;

-- constructs/c_abs_round
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  ABS((
    t1.[cart_value] - 100
  )) < 60
  AND CASE
    WHEN CAST(CAST(t1.[total_spent] AS FLOAT) / NULLIF(CAST(7 AS FLOAT), 0) AS FLOAT) < 0
    THEN -(
      CAST(CAST((
        FLOOR(
          ABS(
            CAST(CAST(t1.[total_spent] AS FLOAT) / NULLIF(CAST(7 AS FLOAT), 0) AS FLOAT) * 1e1
          )
        ) + CASE
          WHEN ABS(
            CAST(CAST(t1.[total_spent] AS FLOAT) / NULLIF(CAST(7 AS FLOAT), 0) AS FLOAT) * 1e1
          ) - FLOOR(
            ABS(
              CAST(CAST(t1.[total_spent] AS FLOAT) / NULLIF(CAST(7 AS FLOAT), 0) AS FLOAT) * 1e1
            )
          ) >= 0.5
          THEN 1
          ELSE 0
        END
      ) AS FLOAT) / 1e1 AS FLOAT)
    )
    ELSE CAST(CAST((
      FLOOR(
        ABS(
          CAST(CAST(t1.[total_spent] AS FLOAT) / NULLIF(CAST(7 AS FLOAT), 0) AS FLOAT) * 1e1
        )
      ) + CASE
        WHEN ABS(
          CAST(CAST(t1.[total_spent] AS FLOAT) / NULLIF(CAST(7 AS FLOAT), 0) AS FLOAT) * 1e1
        ) - FLOOR(
          ABS(
            CAST(CAST(t1.[total_spent] AS FLOAT) / NULLIF(CAST(7 AS FLOAT), 0) AS FLOAT) * 1e1
          )
        ) >= 0.5
        THEN 1
        ELSE 0
      END
    ) AS FLOAT) / 1e1 AS FLOAT)
  END > 10;

-- constructs/c_coalesce
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  COALESCE(t1.[budget], t1.[cart_value], 0) > 100;

-- constructs/c_date_parts
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    MONTH(t1.[birthday]) = 11
    AND (
      DATEDIFF(DAY, CAST(N'19000101' AS DATETIME2), CAST(t1.[signup_date] AS DATETIME2)) % 7 + 1
    ) IN (6, 7)
  )
  OR YEAR(t1.[signup_date]) = 2025;

-- constructs/c_ago_ts
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[last_purchase] > DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND t1.[last_activity] < DATEADD(HOUR, -2, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)));

-- constructs/c_ago_date
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[signup_date] < DATEADD(DAY, -30, CAST(N'2026-11-15' AS DATE))
  AND t1.[signup_date] > DATEADD(DAY, -400, CAST(N'2026-11-15' AS DATE));

-- constructs/c_between_ago
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[last_activity] >= DATEADD(DAY, -10, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND t1.[last_activity] <= DATEADD(DAY, -3, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)));

-- constructs/c_in_last
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    t1.[last_activity] >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
    AND t1.[last_activity] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
  )
  AND (
    t1.[signup_date] > DATEADD(DAY, -7, CAST(N'2026-11-15' AS DATE))
    AND t1.[signup_date] <= CAST(N'2026-11-15' AS DATE)
  );

-- constructs/c_calendar
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    t1.[signup_date] >= DATEFROMPARTS(YEAR(CAST(N'2026-11-15' AS DATE)), MONTH(CAST(N'2026-11-15' AS DATE)), 1)
    AND t1.[signup_date] < DATEADD(
      MONTH,
      1,
      DATEFROMPARTS(YEAR(CAST(N'2026-11-15' AS DATE)), MONTH(CAST(N'2026-11-15' AS DATE)), 1)
    )
  )
  OR (
    t1.[last_open] >= CAST(DATEADD(
      MONTH,
      -3,
      DATEFROMPARTS(
        YEAR(CAST(N'2026-11-15' AS DATE)),
        (
          DATEPART(QUARTER, CAST(N'2026-11-15' AS DATE)) - 1
        ) * 3 + 1,
        1
      )
    ) AS DATETIME2(6))
    AND t1.[last_open] < CAST(DATEADD(
      MONTH,
      3,
      DATEADD(
        MONTH,
        -3,
        DATEFROMPARTS(
          YEAR(CAST(N'2026-11-15' AS DATE)),
          (
            DATEPART(QUARTER, CAST(N'2026-11-15' AS DATE)) - 1
          ) * 3 + 1,
          1
        )
      )
    ) AS DATETIME2(6))
  )
  OR (
    t1.[birthday] >= DATEFROMPARTS(YEAR(CAST(N'2026-11-15' AS DATE)), 1, 1)
    AND t1.[birthday] < DATEADD(MONTH, 12, DATEFROMPARTS(YEAR(CAST(N'2026-11-15' AS DATE)), 1, 1))
  );

-- constructs/c_today
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[last_purchase_date] = CAST(N'2026-11-15' AS DATE)
  OR t1.[last_activity] > CAST(DATEADD(DAY, -7, CAST(N'2026-11-15' AS DATE)) AS DATETIME2(6));

-- constructs/c_date_literals
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[signup_date] >= CAST(N'2026-01-01' AS DATE)
  AND t1.[last_purchase] < CAST(N'2026-06-01 10:00:00' AS DATETIME2(6));

-- constructs/c_date_minus
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  DATEDIFF(
    DAY,
    CAST(t1.[last_purchase_date] AS DATETIME2),
    CAST(CAST(N'2026-11-15' AS DATE) AS DATETIME2)
  ) > 60;

-- constructs/c_month_math
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[signup_date] > DATEADD(MONTH, -1, CAST(N'2026-11-15' AS DATE))
  AND t1.[last_open] < DATEADD(MONTH, -3, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)));

-- constructs/c_before_after
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[signup_date] < CAST(N'2026-01-01' AS DATE)
  AND t1.[last_open] > CAST(N'2026-01-01 00:00:00' AS DATETIME2(6));

-- constructs/c_anniversary
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    (
      MONTH(t1.[signup_date]) = MONTH(CAST(N'2026-11-15' AS DATE))
      AND DAY(t1.[signup_date]) = DAY(CAST(N'2026-11-15' AS DATE))
    )
    OR (
      MONTH(t1.[signup_date]) = 2
      AND DAY(t1.[signup_date]) = 29
      AND MONTH(CAST(N'2026-11-15' AS DATE)) = 2
      AND DAY(CAST(N'2026-11-15' AS DATE)) = 28
      AND DAY(DATEADD(DAY, 1, CAST(N'2026-11-15' AS DATE))) = 1
    )
  )
  OR (
    (
      MONTH(t1.[birthday]) = MONTH(CAST(N'2026-11-15' AS DATE))
      AND DAY(t1.[birthday]) = DAY(CAST(N'2026-11-15' AS DATE))
    )
    OR (
      MONTH(t1.[birthday]) = 2
      AND DAY(t1.[birthday]) = 29
      AND MONTH(CAST(N'2026-11-15' AS DATE)) = 2
      AND DAY(CAST(N'2026-11-15' AS DATE)) = 28
      AND DAY(DATEADD(DAY, 1, CAST(N'2026-11-15' AS DATE))) = 1
    )
  );

-- constructs/c_to_one
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
LEFT JOIN [organizations] AS t2
  ON t2.[id] = t1.[organization_id]
WHERE
  t2.[industry] + N'|' = N'Software' + N'|' COLLATE Latin1_General_100_BIN2
  AND t2.[employees] > 100;

-- constructs/c_to_one_null
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
LEFT JOIN [organizations] AS t2
  ON t2.[id] = t1.[organization_id]
WHERE
  t2.[industry] IS NULL;

-- constructs/c_to_many
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [deals] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL AND t2.[value] >= 10000
  )
  AND t1.[id] IN (
    SELECT
      t3.[contact_id]
    FROM [deals] AS t3
    WHERE
      NOT t3.[contact_id] IS NULL
      AND t3.[stage] + N'|' = N'Negotiation' + N'|' COLLATE Latin1_General_100_BIN2
  );

-- constructs/c_to_many_negated
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM [deals] AS t2
    WHERE
      t2.[contact_id] = t1.[id]
      AND t2.[stage] + N'|' = N'Won' + N'|' COLLATE Latin1_General_100_BIN2
  );

-- constructs/c_to_many_null
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM [deals] AS t2
    WHERE
      t2.[contact_id] = t1.[id]
  )
  OR t1.[id] IN (
    SELECT
      t3.[contact_id]
    FROM [deals] AS t3
    WHERE
      NOT t3.[contact_id] IS NULL AND t3.[stage] IS NULL
  );

-- constructs/c_any
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [deals] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[value] >= 10000
        AND t2.[stage] + N'|' = N'Negotiation' + N'|' COLLATE Latin1_General_100_BIN2
      )
  );

-- constructs/c_all
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM [deals] AS t2
    WHERE
      t2.[contact_id] = t1.[id]
      AND (
        NOT (
          t2.[stage] + N'|' = N'Won' + N'|' COLLATE Latin1_General_100_BIN2
        )
        OR t2.[stage] IS NULL
      )
  );

-- constructs/c_no
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM [deals] AS t2
    WHERE
      t2.[contact_id] = t1.[id]
      AND t2.[stage] + N'|' = N'Lost' + N'|' COLLATE Latin1_General_100_BIN2
  )
  AND t1.[id] IN (
    SELECT
      t3.[contact_id]
    FROM [deals] AS t3
    WHERE
      NOT t3.[contact_id] IS NULL
  );

-- constructs/c_count
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [deals] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
    GROUP BY
      t2.[contact_id]
    HAVING
      COUNT(*) >= 2
      AND COUNT(
        CASE
          WHEN t2.[stage] + N'|' = N'Won' + N'|' COLLATE Latin1_General_100_BIN2
          THEN 1
        END
      ) = 0
  );

-- constructs/c_count_or
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [deals] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[stage] + N'|' = N'Won' + N'|' COLLATE Latin1_General_100_BIN2
        OR t2.[stage] + N'|' = N'Lost' + N'|' COLLATE Latin1_General_100_BIN2
      )
    GROUP BY
      t2.[contact_id]
    HAVING
      COUNT(
        CASE
          WHEN t2.[stage] + N'|' = N'Won' + N'|' COLLATE Latin1_General_100_BIN2
          THEN 1
        END
      ) >= 1
      OR COALESCE(
        SUM(
          CASE
            WHEN t2.[stage] + N'|' = N'Lost' + N'|' COLLATE Latin1_General_100_BIN2
            THEN t2.[value]
          END
        ),
        0
      ) > 10000
  );

-- constructs/c_count_or_empty
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  NOT t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [deals] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
    GROUP BY
      t2.[contact_id]
    HAVING
      NOT (
        COUNT(
          CASE
            WHEN t2.[stage] + N'|' = N'Won' + N'|' COLLATE Latin1_General_100_BIN2
            THEN 1
          END
        ) >= 2
        OR COALESCE(SUM(t2.[value]), 0) > 50000
        OR NOT (
          COUNT(*) > 0
        )
      )
  );

-- constructs/c_sum_avg
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [deals] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
    GROUP BY
      t2.[contact_id]
    HAVING
      COALESCE(SUM(t2.[value]), 0) > 20000
  )
  OR (
    SELECT
      AVG(CAST(t3.[value] AS FLOAT))
    FROM [deals] AS t3
    WHERE
      t3.[contact_id] = t1.[id]
      AND t3.[stage] + N'|' = N'Won' + N'|' COLLATE Latin1_General_100_BIN2
  ) > 5000;

-- constructs/c_min_max
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    SELECT
      MIN(t2.[value])
    FROM [deals] AS t2
    WHERE
      t2.[contact_id] = t1.[id]
  ) < 1000
  AND (
    SELECT
      MAX(t3.[closed_at])
    FROM [deals] AS t3
    WHERE
      t3.[contact_id] = t1.[id]
  ) < DATEADD(DAY, -90, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)));

-- constructs/c_performed
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND t2.[name] + N'|' = N'purchase' + N'|' COLLATE Latin1_General_100_BIN2
  );

-- constructs/c_performed_count
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t2.[occurred_at] >= DATEADD(DAY, -60, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
          AND t2.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
        )
      )
    GROUP BY
      t2.[contact_id]
    HAVING
      COUNT(*) >= 3
  );

-- constructs/c_performed_where
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  NOT t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[name] + N'|' = N'purchase' + N'|' COLLATE Latin1_General_100_BIN2
        AND t2.[amount] > 100
      )
    GROUP BY
      t2.[contact_id]
    HAVING
      NOT (
        COUNT(*) <= 2
      )
  );

-- constructs/c_performed_exact
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[name] + N'|' = N'email_clicked' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t2.[occurred_at] >= CAST(DATEFROMPARTS(YEAR(CAST(N'2026-11-15' AS DATE)), MONTH(CAST(N'2026-11-15' AS DATE)), 1) AS DATETIME2(6))
          AND t2.[occurred_at] < CAST(DATEADD(
            MONTH,
            1,
            DATEFROMPARTS(YEAR(CAST(N'2026-11-15' AS DATE)), MONTH(CAST(N'2026-11-15' AS DATE)), 1)
          ) AS DATETIME2(6))
        )
      )
    GROUP BY
      t2.[contact_id]
    HAVING
      COUNT(*) = 1
  );

-- constructs/c_performed_fewer
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  NOT t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND t2.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
    GROUP BY
      t2.[contact_id]
    HAVING
      NOT (
        COUNT(*) < 2
      )
  );

-- constructs/c_did_not
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM [events] AS t2
    WHERE
      t2.[contact_id] = t1.[id]
      AND (
        t2.[name] + N'|' = N'purchase' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t2.[occurred_at] >= DATEADD(DAY, -90, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
          AND t2.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
        )
      )
  );

-- constructs/c_performed_between
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[name] + N'|' = N'page_view' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t2.[occurred_at] >= DATEADD(DAY, -60, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
          AND t2.[occurred_at] <= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
        )
      )
  );

-- constructs/c_sequence
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    INNER JOIN [events] AS t3
      ON t3.[contact_id] = t2.[contact_id]
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[name] + N'|' = N'trial_started' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t2.[occurred_at] >= DATEADD(DAY, -90, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
          AND t2.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
        )
      )
      AND (
        t3.[name] + N'|' = N'purchase' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t3.[occurred_at] >= DATEADD(DAY, -90, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
          AND t3.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
        )
      )
      AND NOT t3.[id] = t2.[id]
      AND t3.[occurred_at] >= t2.[occurred_at]
      AND t3.[occurred_at] <= DATEADD(DAY, 14, t2.[occurred_at])
  );

-- constructs/c_sequence_where
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    INNER JOIN [events] AS t3
      ON t3.[contact_id] = t2.[contact_id]
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
        AND t2.[amount] > 0
      )
      AND (
        t3.[name] + N'|' = N'purchase' + N'|' COLLATE Latin1_General_100_BIN2
        AND t3.[amount] > 100
      )
      AND NOT t3.[id] = t2.[id]
      AND t3.[occurred_at] >= t2.[occurred_at]
      AND t3.[occurred_at] <= DATEADD(HOUR, 2, t2.[occurred_at])
  );

-- constructs/c_sequence_count
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    INNER JOIN [events] AS t3
      ON t3.[contact_id] = t2.[contact_id]
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t2.[occurred_at] >= CAST(DATEFROMPARTS(YEAR(CAST(N'2026-11-15' AS DATE)), MONTH(CAST(N'2026-11-15' AS DATE)), 1) AS DATETIME2(6))
          AND t2.[occurred_at] < CAST(DATEADD(
            MONTH,
            1,
            DATEFROMPARTS(YEAR(CAST(N'2026-11-15' AS DATE)), MONTH(CAST(N'2026-11-15' AS DATE)), 1)
          ) AS DATETIME2(6))
        )
      )
      AND (
        t3.[name] + N'|' = N'email_clicked' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t3.[occurred_at] >= CAST(DATEFROMPARTS(YEAR(CAST(N'2026-11-15' AS DATE)), MONTH(CAST(N'2026-11-15' AS DATE)), 1) AS DATETIME2(6))
          AND t3.[occurred_at] < CAST(DATEADD(
            MONTH,
            1,
            DATEFROMPARTS(YEAR(CAST(N'2026-11-15' AS DATE)), MONTH(CAST(N'2026-11-15' AS DATE)), 1)
          ) AS DATETIME2(6))
        )
      )
      AND NOT t3.[id] = t2.[id]
      AND t3.[occurred_at] >= t2.[occurred_at]
    GROUP BY
      t2.[contact_id]
    HAVING
      COUNT(DISTINCT t2.[id]) >= 2
  );

-- constructs/c_sequence_not
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  NOT t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    INNER JOIN [events] AS t3
      ON t3.[contact_id] = t2.[contact_id]
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[name] + N'|' = N'trial_started' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t2.[occurred_at] >= DATEADD(DAY, -60, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
          AND t2.[occurred_at] <= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
        )
      )
      AND (
        t3.[name] + N'|' = N'purchase' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t3.[occurred_at] >= DATEADD(DAY, -60, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
          AND t3.[occurred_at] <= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
        )
      )
      AND NOT t3.[id] = t2.[id]
      AND t3.[occurred_at] >= t2.[occurred_at]
      AND t3.[occurred_at] <= DATEADD(MONTH, 1, t2.[occurred_at])
  );

-- constructs/c_calculated
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    CAST(t1.[total_revenue] AS FLOAT) / NULLIF(CAST(t1.[order_count] AS FLOAT), 0)
  ) > 50
  AND (
    (
      (
        t1.[opens] * 2
      ) + (
        t1.[clicks] * 5
      )
    ) + (
      t1.[purchases] * 10
    )
  ) >= 30;

-- constructs/c_let
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    t1.[opens] + (
      t1.[clicks] * 2
    )
  ) > 20
  AND (
    t1.[opens] + (
      t1.[clicks] * 2
    )
  ) < 50;

-- constructs/c_segment_ref
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    t1.[opens] >= 5
    AND t1.[clicks] < 3
    AND (
      NOT (
        t1.[lifetime_value] = 100.5
      ) OR t1.[lifetime_value] IS NULL
    )
  )
  AND (
    (
      NOT (
        t1.[is_vip] = 1
      ) OR t1.[is_vip] IS NULL
    )
    OR t1.[welcome_email_sent] = 1
  );

-- constructs/c_list
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[member_key]
    FROM [list_members] AS t2
    WHERE
      t2.[list_slug] + N'|' = N'vip_customers' + N'|' COLLATE Latin1_General_100_BIN2
      AND NOT t2.[member_key] IS NULL
  )
  OR t1.[id] IN (
    SELECT
      t3.[member_key]
    FROM [list_members] AS t3
    WHERE
      t3.[list_slug] + N'|' = N'beta_testers' + N'|' COLLATE Latin1_General_100_BIN2
      AND NOT t3.[member_key] IS NULL
  );

-- constructs/c_nested
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    (
      t1.[country] + N'|' = N'USA' + N'|' COLLATE Latin1_General_100_BIN2
      OR t1.[country] + N'|' = N'Canada' + N'|' COLLATE Latin1_General_100_BIN2
    )
    AND (
      (
        NOT (
          t1.[opens] < 3
        ) OR t1.[opens] IS NULL
      )
      AND (
        NOT (
          t1.[clicks] < 1
        ) OR t1.[clicks] IS NULL
      )
    )
  )
  OR t1.[is_vip] = 1;

-- constructs/c_names
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[last_purchase] < DATEADD(DAY, -10, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND t1.[country] + N'|' = N'France' + N'|' COLLATE Latin1_General_100_BIN2;

-- constructs/c_unicode
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[first_name] + N'|' = N'Zoë' + N'|' COLLATE Latin1_General_100_BIN2
  OR (
    LOWER(t1.[first_name]) COLLATE Latin1_General_100_BIN2
  ) LIKE N'%é%' ESCAPE N'!'
  OR t1.[first_name] + N'|' = N'李' + N'|' COLLATE Latin1_General_100_BIN2;

-- constructs/c_quotes
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    NOT (
      t1.[email] + N'|' = N'o''brien"s@x.com' + N'|' COLLATE Latin1_General_100_BIN2
    )
    OR t1.[email] IS NULL
  )
  AND (
    NOT (
      (
        LOWER(t1.[job_title]) COLLATE Latin1_General_100_BIN2
      ) LIKE N'%\%' ESCAPE N'!'
    )
    OR t1.[job_title] IS NULL
  );

-- constructs/c_static
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[member_key]
    FROM [list_members] AS t2
    WHERE
      t2.[list_slug] + N'|' = N'c_static' + N'|' COLLATE Latin1_General_100_BIN2
      AND NOT t2.[member_key] IS NULL
  );

-- seed002/company_employees
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    LOWER(t1.[email]) COLLATE Latin1_General_100_BIN2
  ) LIKE N'%@company.com%' ESCAPE N'!';

-- seed002/complex_example
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    t1.[location] + N'|' = N'USA' + N'|' COLLATE Latin1_General_100_BIN2
    OR t1.[location] + N'|' = N'Canada' + N'|' COLLATE Latin1_General_100_BIN2
  )
  AND t1.[last_purchase] < DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND t1.[total_spent] > 500
  AND t1.[email_opens] > 5;

-- seed002/highly_engaged
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        (
          t2.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
          AND (
            t2.[occurred_at] >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
            AND t2.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
          )
        )
        OR (
          t2.[name] + N'|' = N'email_clicked' + N'|' COLLATE Latin1_General_100_BIN2
          AND (
            t2.[occurred_at] >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
            AND t2.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
          )
        )
      )
    GROUP BY
      t2.[contact_id]
    HAVING
      COUNT(
        CASE
          WHEN t2.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
          AND (
            t2.[occurred_at] >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
            AND t2.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
          )
          THEN 1
        END
      ) >= 5
      AND COUNT(
        CASE
          WHEN t2.[name] + N'|' = N'email_clicked' + N'|' COLLATE Latin1_General_100_BIN2
          AND (
            t2.[occurred_at] >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
            AND t2.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
          )
          THEN 1
        END
      ) >= 2
  );

-- seed002/at_risk
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        (
          t2.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
          AND (
            t2.[occurred_at] >= DATEADD(DAY, -60, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
            AND t2.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
          )
        )
        OR t2.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
      )
    GROUP BY
      t2.[contact_id]
    HAVING
      COUNT(
        CASE
          WHEN t2.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
          AND (
            t2.[occurred_at] >= DATEADD(DAY, -60, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
            AND t2.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
          )
          THEN 1
        END
      ) < 2
      AND COUNT(
        CASE
          WHEN t2.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
          THEN 1
        END
      ) > 5
  )
  AND t1.[subscribed_at] < DATEADD(DAY, -90, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)));

-- seed002/never_engaged
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[opens] = 0
  AND t1.[subscribed_at] < DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)));

-- seed002/recent_purchasers
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[last_purchase] > DATEADD(DAY, -7, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)));

-- seed002/cart_abandoners
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[cart_value] > 0
  AND t1.[last_purchase] IS NULL
  AND t1.[last_activity] > DATEADD(HOUR, -24, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)));

-- seed002/browse_abandoners
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[products_viewed] > 3
  AND t1.[cart_items] = 0
  AND t1.[last_visit] > DATEADD(HOUR, -48, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)));

-- seed002/geographic
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[country] + N'|' = N'USA' + N'|' COLLATE Latin1_General_100_BIN2
  AND (
    t1.[state] + N'|' = N'CA' + N'|' COLLATE Latin1_General_100_BIN2
    OR t1.[state] + N'|' = N'NY' + N'|' COLLATE Latin1_General_100_BIN2
    OR t1.[state] + N'|' = N'TX' + N'|' COLLATE Latin1_General_100_BIN2
  )
  AND t1.[timezone] + N'|' = N'PST' + N'|' COLLATE Latin1_General_100_BIN2;

-- seed002/birthday_month
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  MONTH(t1.[birthday]) = MONTH(CAST(N'2026-11-15' AS DATE));

-- seed002/customer_lifecycle
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[signup_date] < DATEADD(DAY, -365, CAST(N'2026-11-15' AS DATE))
  AND t1.[customer_tier] + N'|' = N'Gold' + N'|' COLLATE Latin1_General_100_BIN2;

-- seed002/nested_example
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    (
      t1.[product_interest] + N'|' = N'Software' + N'|' COLLATE Latin1_General_100_BIN2
      AND (
        LOWER(t1.[job_title]) COLLATE Latin1_General_100_BIN2
      ) LIKE N'%developer%' ESCAPE N'!'
    )
    OR (
      t1.[product_interest] + N'|' = N'Marketing' + N'|' COLLATE Latin1_General_100_BIN2
      AND (
        LOWER(t1.[job_title]) COLLATE Latin1_General_100_BIN2
      ) LIKE N'%marketing%' ESCAPE N'!'
    )
  )
  AND (
    t1.[company_size] > 100 OR t1.[budget] > 10000
  );

-- seed002/rolling_window
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[last_activity] > CAST(DATEADD(DAY, -30, CAST(N'2026-11-15' AS DATE)) AS DATETIME2(6));

-- seed002/signup_anniversary
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    MONTH(t1.[signup_date]) = MONTH(CAST(N'2026-11-15' AS DATE))
    AND DAY(t1.[signup_date]) = DAY(CAST(N'2026-11-15' AS DATE))
  )
  OR (
    MONTH(t1.[signup_date]) = 2
    AND DAY(t1.[signup_date]) = 29
    AND MONTH(CAST(N'2026-11-15' AS DATE)) = 2
    AND DAY(CAST(N'2026-11-15' AS DATE)) = 28
    AND DAY(DATEADD(DAY, 1, CAST(N'2026-11-15' AS DATE))) = 1
  );

-- seed002/holiday_season
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  MONTH(CAST(N'2026-11-15' AS DATE)) IN (11, 12);

-- seed002/calculated_fields
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  (
    CAST(t1.[total_revenue] AS FLOAT) / NULLIF(CAST(t1.[order_count] AS FLOAT), 0)
  ) > 50
  AND (
    (
      (
        t1.[opens] * 2
      ) + (
        t1.[clicks] * 5
      )
    ) + (
      t1.[purchases] * 10
    )
  ) >= 40
  AND DATEDIFF(
    DAY,
    CAST(t1.[last_purchase_date] AS DATETIME2),
    CAST(CAST(N'2026-11-15' AS DATE) AS DATETIME2)
  ) > 30;

-- seed002/welcome_series
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[subscribed_at] > DATEADD(DAY, -7, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND t1.[welcome_email_sent] = 0;

-- seed002/win_back
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[last_purchase] < DATEADD(DAY, -180, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND t1.[previous_customer] = 1;

-- seed002/top_tier
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[lifetime_value] > 1000
  OR t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[name] + N'|' = N'purchase' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t2.[occurred_at] >= DATEADD(MONTH, -12, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
          AND t2.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
        )
      )
    GROUP BY
      t2.[contact_id]
    HAVING
      COUNT(*) > 5
  );

-- seed002/inactive
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[last_open] < DATEADD(DAY, -90, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND t1.[subscription_status] + N'|' = N'Active' + N'|' COLLATE Latin1_General_100_BIN2;

-- seed002/active_last_30_days
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t2.[occurred_at] >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
          AND t2.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
        )
      )
  );

-- seed002/purchased_this_week
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [events] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[name] + N'|' = N'purchase' + N'|' COLLATE Latin1_General_100_BIN2
        AND (
          t2.[occurred_at] >= CAST(DATEADD(
            DAY,
            -(
              DATEDIFF(DAY, CAST(N'19000101' AS DATETIME2), CAST(CAST(N'2026-11-15' AS DATE) AS DATETIME2)) % 7
            ),
            CAST(N'2026-11-15' AS DATE)
          ) AS DATETIME2(6))
          AND t2.[occurred_at] < CAST(DATEADD(
            DAY,
            7,
            DATEADD(
              DAY,
              -(
                DATEDIFF(DAY, CAST(N'19000101' AS DATETIME2), CAST(CAST(N'2026-11-15' AS DATE) AS DATETIME2)) % 7
              ),
              CAST(N'2026-11-15' AS DATE)
            )
          ) AS DATETIME2(6))
        )
      )
  );

-- seed002/engaged_vips
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[member_key]
    FROM [list_members] AS t2
    WHERE
      t2.[list_slug] + N'|' = N'vip_customers' + N'|' COLLATE Latin1_General_100_BIN2
      AND NOT t2.[member_key] IS NULL
  )
  AND (
    t1.[id] IN (
      SELECT
        t3.[contact_id]
      FROM [events] AS t3
      WHERE
        NOT t3.[contact_id] IS NULL
        AND (
          t3.[name] + N'|' = N'email_opened' + N'|' COLLATE Latin1_General_100_BIN2
          AND (
            t3.[occurred_at] >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
            AND t3.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
          )
        )
    )
  );

-- seed002/non_purchasers
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  NOT t1.[subscription_status] IS NULL
  AND (
    NOT EXISTS(
      SELECT
        1
      FROM [events] AS t2
      WHERE
        t2.[contact_id] = t1.[id]
        AND (
          t2.[name] + N'|' = N'purchase' + N'|' COLLATE Latin1_General_100_BIN2
          AND (
            t2.[occurred_at] >= CAST(DATEADD(
              DAY,
              -(
                DATEDIFF(DAY, CAST(N'19000101' AS DATETIME2), CAST(CAST(N'2026-11-15' AS DATE) AS DATETIME2)) % 7
              ),
              CAST(N'2026-11-15' AS DATE)
            ) AS DATETIME2(6))
            AND t2.[occurred_at] < CAST(DATEADD(
              DAY,
              7,
              DATEADD(
                DAY,
                -(
                  DATEDIFF(DAY, CAST(N'19000101' AS DATETIME2), CAST(CAST(N'2026-11-15' AS DATE) AS DATETIME2)) % 7
                ),
                CAST(N'2026-11-15' AS DATE)
              )
            ) AS DATETIME2(6))
          )
        )
    )
  );

-- seed002/api_high_value_active
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[lifetime_value] > 500
  AND (
    t1.[last_activity] >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
    AND t1.[last_activity] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
  );

-- seed002/vip_customers
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[member_key]
    FROM [list_members] AS t2
    WHERE
      t2.[list_slug] + N'|' = N'vip_customers' + N'|' COLLATE Latin1_General_100_BIN2
      AND NOT t2.[member_key] IS NULL
  );

-- seed002/beta_testers
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[member_key]
    FROM [list_members] AS t2
    WHERE
      t2.[list_slug] + N'|' = N'beta_testers' + N'|' COLLATE Latin1_General_100_BIN2
      AND NOT t2.[member_key] IS NULL
  );

-- spec_example/spec_high_value_prospects
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
LEFT JOIN [organizations] AS t3
  ON t3.[id] = t1.[organization_id]
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [deals] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[value] >= 10000
        AND t2.[stage] + N'|' = N'Negotiation' + N'|' COLLATE Latin1_General_100_BIN2
      )
  )
  AND (
    t3.[industry] + N'|' = N'Software' + N'|' COLLATE Latin1_General_100_BIN2
    OR t3.[industry] + N'|' = N'Fintech' + N'|' COLLATE Latin1_General_100_BIN2
  )
  AND t1.[last_purchase] > DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND t1.[id] IN (
    SELECT
      t4.[contact_id]
    FROM [events] AS t4
    WHERE
      NOT t4.[contact_id] IS NULL
      AND (
        t4.[name] + N'|' = N'purchase' + N'|' COLLATE Latin1_General_100_BIN2
        AND t4.[amount] > 100
        AND (
          t4.[occurred_at] >= DATEADD(DAY, -90, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
          AND t4.[occurred_at] <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6))
        )
      )
    GROUP BY
      t4.[contact_id]
    HAVING
      COUNT(*) >= 2
  )
  AND (
    CAST(t1.[lifetime_value] AS FLOAT) / NULLIF(CAST(t1.[order_count] AS FLOAT), 0)
  ) > 50
  AND (
    (
      NOT (
        t1.[last_activity] < DATEADD(DAY, -60, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
      )
      OR t1.[last_activity] IS NULL
    )
    AND NOT t1.[last_activity] IS NULL
  );

-- spec_example/beta_testers_spec
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[member_key]
    FROM [list_members] AS t2
    WHERE
      t2.[list_slug] + N'|' = N'beta_testers_spec' + N'|' COLLATE Latin1_General_100_BIN2
      AND NOT t2.[member_key] IS NULL
  );

-- high_value_prospects/high_value_prospects
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
LEFT JOIN [organizations] AS t3
  ON t3.[id] = t1.[organization_id]
WHERE
  t1.[id] IN (
    SELECT
      t2.[contact_id]
    FROM [deals] AS t2
    WHERE
      NOT t2.[contact_id] IS NULL
      AND (
        t2.[value] >= 10000
        AND t2.[stage] + N'|' = N'Negotiation' + N'|' COLLATE Latin1_General_100_BIN2
      )
  )
  AND (
    t3.[industry] + N'|' = N'Software' + N'|' COLLATE Latin1_General_100_BIN2
    OR t3.[industry] + N'|' = N'Fintech' + N'|' COLLATE Latin1_General_100_BIN2
  )
  AND (
    CAST(t1.[total_revenue] AS FLOAT) / NULLIF(CAST(t1.[order_count] AS FLOAT), 0)
  ) > 50
  AND (
    (
      NOT (
        t1.[last_activity] < DATEADD(DAY, -60, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
      )
      OR t1.[last_activity] IS NULL
    )
    AND NOT t1.[last_activity] IS NULL
  );

-- high_value_prospects/churned
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[last_activity] < DATEADD(DAY, -60, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  OR t1.[last_activity] IS NULL;

-- high_value_prospects/vip_customers
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[id] IN (
    SELECT
      t2.[member_key]
    FROM [list_members] AS t2
    WHERE
      t2.[list_slug] + N'|' = N'vip_customers' + N'|' COLLATE Latin1_General_100_BIN2
      AND NOT t2.[member_key] IS NULL
  );

-- constructs/c_ago_ts evaluated when the SQL runs (no --now)
SELECT
  t1.[id] AS [id]
FROM [contacts] AS t1
WHERE
  t1.[last_purchase] > DATEADD(DAY, -30, SYSUTCDATETIME())
  AND t1.[last_activity] < DATEADD(HOUR, -2, SYSUTCDATETIME());

-- instants/i_last30 on seen_at in UTC
SELECT
  t1.[id] AS [id]
FROM [conf_visitors] AS t1
WHERE
  CAST(t1.[seen_at] AT TIME ZONE N'UTC' AS DATETIME2(6)) >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND CAST(t1.[seen_at] AT TIME ZONE N'UTC' AS DATETIME2(6)) <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6));

-- instants/i_last30 on seen_s in UTC
SELECT
  t1.[id] AS [id]
FROM [conf_visitors] AS t1
WHERE
  DATEADD(
    SECOND,
    t1.[seen_s] % 86400,
    DATEADD(DAY, t1.[seen_s] / 86400, CAST(N'1970-01-01' AS DATETIME2(6)))
  ) >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND DATEADD(
    SECOND,
    t1.[seen_s] % 86400,
    DATEADD(DAY, t1.[seen_s] / 86400, CAST(N'1970-01-01' AS DATETIME2(6)))
  ) <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6));

-- instants/i_last30 on seen_ms in UTC
SELECT
  t1.[id] AS [id]
FROM [conf_visitors] AS t1
WHERE
  DATEADD(
    MILLISECOND,
    t1.[seen_ms] % 1000,
    DATEADD(
      SECOND,
      (
        t1.[seen_ms] / 1000
      ) % 86400,
      DATEADD(DAY, t1.[seen_ms] / 86400000, CAST(N'1970-01-01' AS DATETIME2(6)))
    )
  ) >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND DATEADD(
    MILLISECOND,
    t1.[seen_ms] % 1000,
    DATEADD(
      SECOND,
      (
        t1.[seen_ms] / 1000
      ) % 86400,
      DATEADD(DAY, t1.[seen_ms] / 86400000, CAST(N'1970-01-01' AS DATETIME2(6)))
    )
  ) <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6));

-- instants/i_last30 on seen_us in UTC
SELECT
  t1.[id] AS [id]
FROM [conf_visitors] AS t1
WHERE
  DATEADD(
    MICROSECOND,
    t1.[seen_micros] % 1000000,
    DATEADD(
      SECOND,
      (
        t1.[seen_micros] / 1000000
      ) % 86400,
      DATEADD(DAY, t1.[seen_micros] / 86400000000, CAST(N'1970-01-01' AS DATETIME2(6)))
    )
  ) >= DATEADD(DAY, -30, CAST(N'2026-11-15 12:00:00' AS DATETIME2(6)))
  AND DATEADD(
    MICROSECOND,
    t1.[seen_micros] % 1000000,
    DATEADD(
      SECOND,
      (
        t1.[seen_micros] / 1000000
      ) % 86400,
      DATEADD(DAY, t1.[seen_micros] / 86400000000, CAST(N'1970-01-01' AS DATETIME2(6)))
    )
  ) <= CAST(N'2026-11-15 12:00:00' AS DATETIME2(6));

-- instants/i_2h on seen_at in UTC (no --now)
SELECT
  t1.[id] AS [id]
FROM [conf_visitors] AS t1
WHERE
  CAST(t1.[seen_at] AT TIME ZONE N'UTC' AS DATETIME2(6)) > DATEADD(HOUR, -2, SYSUTCDATETIME());

-- instants/i_2h on seen_s in UTC (no --now)
SELECT
  t1.[id] AS [id]
FROM [conf_visitors] AS t1
WHERE
  DATEADD(
    SECOND,
    t1.[seen_s] % 86400,
    DATEADD(DAY, t1.[seen_s] / 86400, CAST(N'1970-01-01' AS DATETIME2(6)))
  ) > DATEADD(HOUR, -2, SYSUTCDATETIME());

-- instants/i_2h on seen_ms in UTC (no --now)
SELECT
  t1.[id] AS [id]
FROM [conf_visitors] AS t1
WHERE
  DATEADD(
    MILLISECOND,
    t1.[seen_ms] % 1000,
    DATEADD(
      SECOND,
      (
        t1.[seen_ms] / 1000
      ) % 86400,
      DATEADD(DAY, t1.[seen_ms] / 86400000, CAST(N'1970-01-01' AS DATETIME2(6)))
    )
  ) > DATEADD(HOUR, -2, SYSUTCDATETIME());

-- instants/i_2h on seen_us in UTC (no --now)
SELECT
  t1.[id] AS [id]
FROM [conf_visitors] AS t1
WHERE
  DATEADD(
    MICROSECOND,
    t1.[seen_micros] % 1000000,
    DATEADD(
      SECOND,
      (
        t1.[seen_micros] / 1000000
      ) % 86400,
      DATEADD(DAY, t1.[seen_micros] / 86400000000, CAST(N'1970-01-01' AS DATETIME2(6)))
    )
  ) > DATEADD(HOUR, -2, SYSUTCDATETIME());

-- instants/i_today on seen_at in America/New_York: UNSUPPORTED E0501: an instant read in the time zone 'America/New_York' cannot be expressed faithfully in the tsql dialect

-- instants/i_today on seen_s in America/New_York: UNSUPPORTED E0501: an instant read in the time zone 'America/New_York' cannot be expressed faithfully in the tsql dialect

-- instants/i_today on seen_ms in America/New_York: UNSUPPORTED E0501: an instant read in the time zone 'America/New_York' cannot be expressed faithfully in the tsql dialect

-- instants/i_today on seen_us in America/New_York: UNSUPPORTED E0501: an instant read in the time zone 'America/New_York' cannot be expressed faithfully in the tsql dialect

-- instants/i_this_week on seen_at in America/New_York (no --now): UNSUPPORTED E0501: an instant read in the time zone 'America/New_York' cannot be expressed faithfully in the tsql dialect

-- instants/i_this_week on seen_s in America/New_York (no --now): UNSUPPORTED E0501: an instant read in the time zone 'America/New_York' cannot be expressed faithfully in the tsql dialect

-- instants/i_this_week on seen_ms in America/New_York (no --now): UNSUPPORTED E0501: an instant read in the time zone 'America/New_York' cannot be expressed faithfully in the tsql dialect

-- instants/i_this_week on seen_us in America/New_York (no --now): UNSUPPORTED E0501: an instant read in the time zone 'America/New_York' cannot be expressed faithfully in the tsql dialect
