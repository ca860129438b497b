-- Sales departments are data, not code: the head of sales triages leads to one of them.
CREATE TABLE departments (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_-]*$'),
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- People who handle leads: managers (in a department), heads of department, the head of sales.
CREATE TABLE staff (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL UNIQUE CHECK (email = lower(email)),
    phone_e164 text CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
    role text NOT NULL CHECK (role IN ('manager', 'head_of_department', 'head_of_sales')),
    department_code text REFERENCES departments (code),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (role = 'head_of_sales' OR department_code IS NOT NULL)
);
CREATE INDEX staff_department ON staff (department_code) WHERE active;
