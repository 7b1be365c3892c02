//! Relocating generated tokens, so that a compile error in generated code points at the user's
//! code it came from.

use proc_macro2::{Group, Span, TokenStream, TokenTree};

/// `tokens` with every span located at `at` (keeping each token's hygiene).
pub(crate) fn located_at(tokens: TokenStream, at: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(g) = &tree {
                let mut group = Group::new(g.delimiter(), located_at(g.stream(), at));
                group.set_span(g.span().located_at(at));
                tree = TokenTree::Group(group);
            } else {
                tree.set_span(tree.span().located_at(at));
            }
            tree
        })
        .collect()
}
