// The cluster store interface is declared in domain/ (actors depend on the shape only).
export * from '../domain/ports/cluster-store.js';
