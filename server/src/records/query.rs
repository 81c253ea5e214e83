//! Lists: the query string read into filters, a sort and a keyset cursor, and planned as SQL
//! over `records` and the typed index `record_values` (never OFFSET).
//!
//! `?{field}=v`, `{field}.in=a,b`, `{field}.gte=`, `{field}.lte=`, `{field}.contains=`,
//! `{field}.empty=true|false`, `sort=field|-field`, `cursor=`, `limit=`. Built-in columns
//! `name`, `state`, `created_by`, `created_at`, `updated_at` filter and sort too. A range on
//! the sort field is applied to the sort join itself, so "one select + a date range, sorted by
//! the date" is one ordered range scan of `record_values_num` with a primary-key probe per row
//! for the select.

use std::collections::HashMap;

use atrium_client::wire::FieldType;
use serde_json::Value;

use super::schema::TypeSchema;
use super::store::records::RecordRow;
use super::value::{self, Indexed, NO_NUMBER};
use crate::db::paging::{Cursor, CursorKey, DEFAULT_LIMIT, MAX_LIMIT};
use crate::error::ApiError;

/// A bind parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Int(i64),
    Text(String),
}

/// What a list sorts or filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    /// A column of `records r` (numeric or not).
    Builtin(&'static str, bool),
    /// A field of the index.
    Field(String, FieldType),
}

impl Column {
    fn numeric(&self) -> bool {
        match self {
            Self::Builtin(_, numeric) => *numeric,
            Self::Field(_, t) => value::indexed_as_number(*t),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Eq(Param),
    In(Vec<Param>),
    Gte(Param),
    Lte(Param),
    Contains(String),
    Empty(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Filter {
    column: Column,
    op: Op,
}

/// A planned list.
#[derive(Debug, Clone)]
pub struct ListPlan {
    filters: Vec<Filter>,
    sort: Column,
    descending: bool,
    cursor: Option<Cursor>,
    pub limit: u32,
    /// Whether the answer carries the totals of the filtered set (`totals=true`): they cost a
    /// pass over the whole set, so a page does not pay for them unless asked.
    pub totals: bool,
    /// Only records this user owns ("only own": created by them or named by one of the type's
    /// owner fields, as [`crate::authz::records::owns`] decides for a single record).
    pub only_owner: Option<String>,
}

/// SQL with its parameters.
#[derive(Debug, Clone)]
pub struct Sql {
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    fn param(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }
}

fn column(schema: &TypeSchema, name: &str) -> Option<Column> {
    Some(match name {
        "name" => Column::Builtin("r.name", false),
        // No state (a type without a workflow) sorts as the empty text, so cursors compare.
        "state" => Column::Builtin("coalesce(r.state, '')", false),
        "created_by" => Column::Builtin("r.created_by", false),
        "created_at" => Column::Builtin("r.created_at", true),
        "updated_at" => Column::Builtin("r.updated_at", true),
        _ => {
            let field = schema.field(name)?;
            if !value::indexable(field.field_type) {
                return None;
            }
            Column::Field(field.name.clone(), field.field_type)
        }
    })
}

fn operand(column: &Column, text: &str) -> Result<Param, String> {
    match column {
        Column::Builtin(_, true) => text
            .parse()
            .map(Param::Int)
            .map_err(|_| "must be a whole number".into()),
        Column::Builtin(_, false) => Ok(Param::Text(text.to_owned())),
        Column::Field(_, t) => Ok(match value::index_operand(*t, text)? {
            Indexed::Num(n) => Param::Int(n),
            Indexed::Txt(s) => Param::Text(s),
        }),
    }
}

/// Reads a list's query string against the type's schema; unknown fields and bad operands
/// are 422s naming the parameter.
pub fn plan(schema: &TypeSchema, query: &HashMap<String, String>) -> Result<ListPlan, ApiError> {
    let mut filters = Vec::new();
    let mut sort = Column::Builtin("r.created_at", true);
    let mut descending = true;
    let mut cursor = None;
    let mut limit = DEFAULT_LIMIT;
    let mut totals = false;
    let mut keys: Vec<&String> = query.keys().collect();
    keys.sort();
    for key in keys {
        let text = &query[key];
        match key.as_str() {
            "sort" => {
                let (name, desc) = match text.strip_prefix('-') {
                    Some(name) => (name, true),
                    None => (text.as_str(), false),
                };
                sort = column(schema, name)
                    .filter(|c| {
                        !matches!(
                            c,
                            Column::Field(_, FieldType::MultiSelect | FieldType::Users)
                        )
                    })
                    .ok_or_else(|| ApiError::invalid_field("sort", "is not a sortable field"))?;
                descending = desc;
            }
            "cursor" => cursor = Some(Cursor::decode(text)?),
            "totals" => {
                totals = match text.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(ApiError::invalid_field("totals", "must be true or false")),
                }
            }
            "limit" => {
                limit = text
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| {
                        ApiError::invalid_field("limit", format!("must be 1 to {MAX_LIMIT}"))
                    })?;
            }
            _ => {
                let (name, op) = key.rsplit_once('.').unwrap_or((key.as_str(), "eq"));
                let column = column(schema, name)
                    .ok_or_else(|| ApiError::invalid_field(key, "is not a filterable field"))?;
                let bad = |why: String| ApiError::invalid_field(key, why);
                let op = match op {
                    "eq" => Op::Eq(operand(&column, text).map_err(bad)?),
                    "in" => Op::In(
                        text.split(',')
                            .take(100)
                            .map(|t| operand(&column, t))
                            .collect::<Result<_, _>>()
                            .map_err(bad)?,
                    ),
                    "gte" => Op::Gte(operand(&column, text).map_err(bad)?),
                    "lte" => Op::Lte(operand(&column, text).map_err(bad)?),
                    "contains" if !column.numeric() => Op::Contains(text.to_lowercase()),
                    "empty" => match text.as_str() {
                        "true" => Op::Empty(true),
                        "false" => Op::Empty(false),
                        _ => return Err(bad("must be true or false".into())),
                    },
                    _ => return Err(bad("is not a filter this field takes".into())),
                };
                filters.push(Filter { column, op });
            }
        }
    }
    Ok(ListPlan {
        filters,
        sort,
        descending,
        cursor,
        limit,
        totals,
        only_owner: None,
    })
}

fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `col op` conditions of one filter on expression `expr` (a column of `r`, or `v.num`/`v.txt`).
fn condition(sql: &mut Sql, expr: &str, numeric: bool, op: &Op) -> String {
    let sentinel = |sql: &mut Sql| {
        if numeric {
            let p = sql.param(Param::Int(NO_NUMBER));
            format!("{expr} = {p}")
        } else {
            format!("({expr} = '' or {expr} is null)")
        }
    };
    match op {
        Op::Eq(p) => format!("{expr} = {}", sql.param(p.clone())),
        Op::In(ps) => {
            let list: Vec<String> = ps.iter().map(|p| sql.param(p.clone())).collect();
            format!("{expr} in ({})", list.join(", "))
        }
        Op::Gte(p) => format!("{expr} >= {}", sql.param(p.clone())),
        Op::Lte(p) => {
            let bound = sql.param(p.clone());
            let empty = sentinel(sql);
            format!("{expr} <= {bound} and not ({empty})")
        }
        Op::Contains(text) => format!(
            "lower({expr}) like {} escape '\\'",
            sql.param(Param::Text(like_pattern(text)))
        ),
        Op::Empty(true) => sentinel(sql),
        Op::Empty(false) => {
            let empty = sentinel(sql);
            format!("not ({empty})")
        }
    }
}

impl ListPlan {
    /// Continues the list after `cursor` (an export's query loop).
    pub fn set_cursor(&mut self, cursor: Cursor) {
        self.cursor = Some(cursor);
    }

    /// `from … where …` of the filtered set (no cursor), with `s` the sort join when sorting
    /// on a field, and `t` the index rows of `totalled` fields (their values, when there are
    /// any) when given.
    fn filtered_set(
        &self,
        sql: &mut Sql,
        org_id: &str,
        record_type: &str,
        totalled: Option<&[String]>,
    ) {
        let org = sql.param(Param::Text(org_id.to_owned()));
        let kind = sql.param(Param::Text(record_type.to_owned()));
        let mut text = String::from(" from records r");
        let mut conditions = vec![format!("r.org_id = {org}"), format!("r.type = {kind}")];
        if let Column::Field(name, _) = &self.sort {
            let field = sql.param(Param::Text(name.clone()));
            text.push_str(&format!(
                " join record_values s on s.record_id = r.id and s.field = {field} and s.slot = 0 and s.org_id = {org} and s.type = {kind}"
            ));
        }
        if let Some(fields) = totalled {
            let names: Vec<String> = fields
                .iter()
                .map(|f| sql.param(Param::Text(f.clone())))
                .collect();
            let none = sql.param(Param::Int(NO_NUMBER));
            // Probes of the primary key (record, field, slot) for each record of the set.
            text.push_str(&format!(
                " join record_values t on t.record_id = r.id and t.field in ({}) and t.slot = 0 and t.num <> {none}",
                names.join(", ")
            ));
        }
        if let Some(user) = &self.only_owner {
            let user = sql.param(Param::Text(user.clone()));
            let fields: Vec<String> = crate::records::registry::owner_fields(record_type)
                .iter()
                .map(|f| sql.param(Param::Text((*f).to_owned())))
                .collect();
            // Owner fields are `user` (slot 0) or `users` (a slot per user) fields, indexed as
            // text: probes of the primary key (record, field, slot).
            conditions.push(format!(
                "(r.created_by = {user} or exists (select 1 from record_values o where o.record_id = r.id and o.field in ({}) and o.txt = {user}))",
                fields.join(", ")
            ));
        }
        for filter in &self.filters {
            match &filter.column {
                Column::Builtin(expr, numeric) => {
                    conditions.push(condition(sql, expr, *numeric, &filter.op));
                }
                Column::Field(name, _)
                    if self.sort == filter.column
                        && matches!(filter.op, Op::Gte(_) | Op::Lte(_) | Op::Eq(_)) =>
                {
                    let _ = name;
                    let expr = if filter.column.numeric() {
                        "s.num"
                    } else {
                        "s.txt"
                    };
                    conditions.push(condition(sql, expr, filter.column.numeric(), &filter.op));
                }
                Column::Field(name, _) => {
                    let numeric = filter.column.numeric();
                    let expr = if numeric { "v.num" } else { "v.txt" };
                    let field = sql.param(Param::Text(name.clone()));
                    let inner = condition(sql, expr, numeric, &filter.op);
                    conditions.push(format!(
                        "exists (select 1 from record_values v where v.record_id = r.id and v.field = {field} and {inner})"
                    ));
                }
            }
        }
        text.push_str(" where ");
        text.push_str(&conditions.join(" and "));
        sql.text.push_str(&text);
    }

    fn sort_expr(&self) -> &str {
        match &self.sort {
            Column::Builtin(expr, _) => expr,
            Column::Field(_, t) if value::indexed_as_number(*t) => "s.num",
            Column::Field(..) => "s.txt",
        }
    }

    /// The page query: records after the cursor, `limit + 1` of them.
    pub fn page_sql(&self, columns: &str, org_id: &str, record_type: &str) -> Sql {
        let mut sql = Sql {
            text: format!("select {columns}"),
            params: Vec::new(),
        };
        self.filtered_set(&mut sql, org_id, record_type, None);
        let key = self.sort_expr().to_owned();
        // The tiebreaker of a field sort is the sort join's own `record_id` (equal to `r.id`),
        // so the index `(org, type, field, num|txt, record_id)` yields rows in order.
        let id = match self.sort {
            Column::Field(..) => "s.record_id",
            Column::Builtin(..) => "r.id",
        };
        let (cmp, dir) = if self.descending {
            ("<", "desc")
        } else {
            (">", "asc")
        };
        if let Some(cursor) = &self.cursor {
            let value = match &cursor.key {
                CursorKey::Int(n) => Param::Int(*n),
                CursorKey::Text(t) => Param::Text(t.clone()),
            };
            // A row-value comparison: both databases use it as a range on the sort index.
            let k = sql.param(value);
            let after = sql.param(Param::Text(cursor.id.clone()));
            sql.text
                .push_str(&format!(" and ({key}, {id}) {cmp} ({k}, {after})"));
        }
        let limit = sql.param(Param::Int(i64::from(self.limit) + 1));
        sql.text
            .push_str(&format!(" order by {key} {dir}, {id} {dir} limit {limit}"));
        sql
    }

    /// The totals query: sums of `fields` (index form) over the filtered set, read from the
    /// set's own index rows (so its cost follows the size of the set, not of the type).
    pub fn totals_sql(&self, fields: &[String], org_id: &str, record_type: &str) -> Sql {
        let mut sql = Sql {
            text: "select t.field as field, cast(sum(t.num) as bigint) as total".into(),
            params: Vec::new(),
        };
        self.filtered_set(&mut sql, org_id, record_type, Some(fields));
        sql.text.push_str(" group by t.field");
        sql
    }

    /// The cursor after `record` in this list's order.
    pub fn cursor_after(&self, schema: &TypeSchema, record: &RecordRow) -> Cursor {
        let key = match &self.sort {
            Column::Builtin("r.name", _) => CursorKey::Text(record.name.clone()),
            Column::Builtin("coalesce(r.state, '')", _) => {
                CursorKey::Text(record.state.clone().unwrap_or_default())
            }
            Column::Builtin("r.created_by", _) => CursorKey::Text(record.created_by.clone()),
            Column::Builtin("r.updated_at", _) => CursorKey::Int(record.updated_at),
            Column::Builtin(..) => CursorKey::Int(record.created_at),
            Column::Field(name, t) => {
                let _ = schema;
                match value::index_values(*t, record.data.get(name))
                    .into_iter()
                    .next()
                {
                    Some(Indexed::Num(n)) => CursorKey::Int(n),
                    Some(Indexed::Txt(s)) => CursorKey::Text(s),
                    None => CursorKey::Text(String::new()),
                }
            }
        };
        Cursor::new(key, record.id.clone())
    }
}

/// A total in its wire form: money, integers and durations as integers; numbers and percents
/// (stored as millionths) as decimal strings.
pub fn total_value(field_type: FieldType, sum: i64) -> Value {
    match field_type {
        FieldType::Number | FieldType::Percent => {
            Value::String(value::from_micros(sum).to_string())
        }
        _ => Value::from(sum),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> TypeSchema {
        serde_json::from_value(json!({"fields": [
            {"name": "status", "type": "select", "options": ["open", "done"]},
            {"name": "due", "type": "date"},
            {"name": "amount", "type": "money"}
        ]}))
        .unwrap()
    }

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn a_range_on_the_sort_field_goes_on_the_sort_join() {
        let plan = plan(
            &schema(),
            &q(&[
                ("status", "open"),
                ("due.gte", "2026-01-01"),
                ("due.lte", "2026-02-01"),
                ("sort", "due"),
            ]),
        )
        .unwrap();
        let sql = plan.page_sql("r.id", "o", "t");
        assert!(sql.text.contains("join record_values s"));
        assert!(sql.text.contains("s.num >= "));
        assert!(sql.text.contains("exists (select 1 from record_values v"));
        assert!(sql.text.contains("order by s.num asc, s.record_id asc"));
        assert!(!sql.text.contains("offset"));
    }

    #[test]
    fn totals_probe_the_index_rows_of_the_filtered_set() {
        let plan = plan(
            &schema(),
            &q(&[
                ("status", "open"),
                ("due.gte", "2026-01-01"),
                ("sort", "-due"),
            ]),
        )
        .unwrap();
        let sql = plan.totals_sql(&["amount".to_owned()], "o", "t");
        assert!(
            sql.text
                .contains("join record_values t on t.record_id = r.id")
        );
        assert!(sql.text.contains("group by t.field"));
        assert!(!sql.text.contains("in (select"));
        // The cursor never narrows the totals: they are the filtered set's.
        assert!(!sql.text.contains("order by"));
    }

    #[test]
    fn bad_filters_name_their_parameter() {
        let error = plan(&schema(), &q(&[("due.gte", "soon")])).unwrap_err();
        assert!(matches!(error, ApiError::Validation(f) if f.contains_key("due.gte")));
        assert!(plan(&schema(), &q(&[("nope", "1")])).is_err());
        assert!(plan(&schema(), &q(&[("amount.contains", "1")])).is_err());
    }
}
