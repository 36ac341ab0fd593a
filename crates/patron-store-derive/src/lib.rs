//! `#[derive(InlineRow)]`: reads a row type on patron-store's inline SQLite connection
//! (rusqlite, executed on the calling thread), by column name — as `#[derive(sqlx::FromRow)]`
//! reads it on sqlx's connections. Both derives sit on every row type, so one query written
//! against `Conn` runs on all three connections, and a field added to a row type without being
//! readable here fails to compile instead of failing at run time.

use proc_macro::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{parse_macro_input, Data, DeriveInput, Fields};

/// Implements `crate::sql::conn::InlineRow` for a struct with named fields: each field is read
/// from the column of the same name with `crate::sql::inline::InlineValue`.
#[proc_macro_derive(InlineRow)]
pub fn derive_inline_row(input: TokenStream) -> TokenStream {
    let ast = parse_macro_input!(input as DeriveInput);
    let name = &ast.ident;
    let (impl_g, ty_g, where_g) = ast.generics.split_for_impl();
    let fields = match &ast.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(f) => &f.named,
            _ => {
                return syn::Error::new_spanned(name, "InlineRow needs named fields")
                    .to_compile_error()
                    .into()
            }
        },
        _ => {
            return syn::Error::new_spanned(name, "InlineRow is for structs")
                .to_compile_error()
                .into()
        }
    };
    // The field's position (after `first`, where the row type's columns begin in a joined row)
    // is passed as a hint: the queries select the columns in the order of the fields, so the
    // column is usually found there without a search by name.
    let reads = fields.iter().enumerate().filter_map(|(at, f)| {
        let id = f.ident.as_ref()?;
        let column = id.unraw().to_string();
        Some(quote! { #id: crate::sql::inline::column(row, #column, first + #at)? })
    });
    let count = fields.len();
    quote! {
        impl #impl_g crate::sql::conn::InlineRow for #name #ty_g #where_g {
            const COLUMNS: usize = #count;
            fn from_inline_at(row: &::rusqlite::Row<'_>, first: usize) -> ::rusqlite::Result<Self> {
                Ok(Self { #(#reads),* })
            }
        }
    }
    .into()
}
