package httpapi

import "github.com/redis/go-redis/v9"

// brokenRedis returns a client for a port where nothing listens.
func brokenRedis() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200_000_000})
}
