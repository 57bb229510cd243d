// GraphiQL on mentorlog's own copies of React and GraphiQL (static/vendor/).
// The schema is fetched again whenever the Headers tab holds new valid JSON:
// GraphiQL introspects when its fetcher changes, so a new fetcher is made with
// the headers.
(function () {
  "use strict";

  const EXAMPLE_QUERY = `# Who your token is, and the mentorships it may read.
# The token goes in the Headers tab below; run with Ctrl-Enter.
query Start {
  viewer {
    role
    person { displayName }
    program { name }
  }
  mentorships(first: 5) {
    edges {
      node {
        id
        status
        purpose
        participants { role person { displayName } }
        history(first: 3) {
          totalCount
          edges { node { sequence occurredAt __typename } }
        }
      }
    }
  }
}
`;
  const STORED_HEADERS = "mentorlog:headers";
  const SETTLE_MS = 600;
  const url = window.location.origin + window.location.pathname;
  const socketUrl = url.replace(/^http/, "ws");

  function parseHeaders(text) {
    if (!text || !text.trim()) return {};
    try {
      const value = JSON.parse(text);
      return value && typeof value === "object" && !Array.isArray(value)
        ? value
        : null;
    } catch (error) {
      return null;
    }
  }

  function makeFetcher(headers) {
    const authorization = headers.Authorization || headers.authorization;
    return GraphiQL.createFetcher({
      url: url,
      headers: headers,
      subscriptionUrl: socketUrl,
      wsConnectionParams: authorization ? { Authorization: authorization } : {},
    });
  }

  function authorizationOf(headers) {
    return headers && (headers.Authorization || headers.authorization);
  }

  function App() {
    const initial = window.localStorage.getItem(STORED_HEADERS) || "";
    const [applied, setApplied] = React.useState(
      JSON.stringify(parseHeaders(initial) || {}),
    );
    const fetcher = React.useMemo(
      () => makeFetcher(JSON.parse(applied)),
      [applied],
    );
    const signedIn = Boolean(authorizationOf(JSON.parse(applied)));

    const timer = React.useRef(0);
    // Applied once typing pauses: the editor closes brackets and quotes as one
    // types, so half a token is often valid JSON already.
    function onEditHeaders(text) {
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(function () {
        const parsed = parseHeaders(text);
        if (parsed !== null) {
          window.localStorage.setItem(STORED_HEADERS, text);
          setApplied(JSON.stringify(parsed));
        }
      }, SETTLE_MS);
    }

    // Without a token the API answers 401: run schemaless (null) until there is
    // one; undefined then makes GraphiQL introspect with the new fetcher.
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      schema: signedIn ? undefined : null,
      defaultQuery: EXAMPLE_QUERY,
      defaultHeaders: initial,
      onEditHeaders: onEditHeaders,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    });
  }

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(App));
})();
