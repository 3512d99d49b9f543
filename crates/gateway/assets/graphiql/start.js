// Starts GraphiQL on Zhuchao's endpoint (queries by POST, subscriptions over /graphql/ws). A file,
// not an inline script, so the page's Content-Security-Policy can forbid inline scripts.
(function () {
  var ws = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql/ws";
  var root = document.getElementById("graphiql");
  document.body.style.margin = "0";
  root.style.height = "100vh";
  var fetcher = GraphiQL.createFetcher({ url: "/graphql", subscriptionUrl: ws });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true })
  );
})();
