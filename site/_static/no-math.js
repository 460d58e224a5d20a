// The lessons typeset no mathematics. Sphinx loads a MathJax script on every
// page all the same, from the web unless told otherwise: this empty one keeps
// every page's assets on the site itself.
